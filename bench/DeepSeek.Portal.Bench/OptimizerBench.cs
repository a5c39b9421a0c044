using System.Diagnostics;
using System.Globalization;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// The optimizer step alone (clip + AdamW + zero_grad) on a model's parameters with fixed random gradients:
/// TorchSharp's AdamW against the trainer's <see cref="FlatAdamW"/>, alternating in one run.
/// </summary>
internal static class OptimizerBench
{
    public static int Run(string[] args)
    {
        string size = args.Length > 0 ? args[0] : "large";
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        _ = EngineDevice.Current;
        var config = PeerBench.ConfigFor(size);
        using var a = CausalLM.Create(config);
        using var b = CausalLM.Create(config);
        var options = new TrainingOptions();
        var pa = a.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var decayed = pa.Where(p => p.parameter.dim() >= 2).Select(p => p.parameter).ToList();
        var undecayed = pa.Where(p => p.parameter.dim() < 2).Select(p => p.parameter).ToList();
        var all = pa.Select(p => p.parameter).ToList();
        using var torchAdamW = optim.AdamW(
            [
                new AdamW.ParamGroup(decayed, 3e-3, 0.9, 0.95, 1e-8, 0.01, false, false),
                new AdamW.ParamGroup(undecayed, 3e-3, 0.9, 0.95, 1e-8, 0.0, false, false),
            ], 3e-3, 0.9, 0.95, 1e-8, 0.01, false, false);
        using var flat = new TrainingOptimizer(b, options);
        var grads = all.Select(p => randn(p.shape) * 1e-3).ToList();
        void Fill(nn.Module m)
        {
            int i = 0;
            foreach (var p in m.parameters().Where(p => p.requires_grad)) p.grad = grads[i++].clone();
        }
        var torchTimes = new List<double>();
        var flatTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            Fill(a);
            var clock = Stopwatch.StartNew();
            nn.utils.clip_grad_norm_(all, 1.0);
            torchAdamW.step();
            torchAdamW.zero_grad();
            torchTimes.Add(clock.Elapsed.TotalMilliseconds);
            Fill(b);
            clock.Restart();
            flat.Step();
            flatTimes.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{size}: {all.Count} tensors, {all.Sum(p => p.numel()):N0} parameters; clip + AdamW + zero_grad, ms per step (rounds): TorchSharp AdamW {string.Join(", ", torchTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}; FlatAdamW {string.Join(", ", flatTimes.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}"));
        return 0;
    }
}
