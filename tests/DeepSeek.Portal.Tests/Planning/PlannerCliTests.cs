using System.Text.Json.Nodes;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Planning.Planner.Cli;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary><c>plan …</c> in-process (the entry method with captured writers): output, JSON, files and exit codes.</summary>
public sealed class PlannerCliTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "deepseek-portal-tests", "plan-cli-" + Guid.NewGuid().ToString("N"));

    public PlannerCliTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await PlanCommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Estimate_prints_every_memory_line_with_its_formula_and_the_derived_figures()
    {
        var (code, text, err) = await RunAsync("plan", "estimate", "--model", "deepseek-v3", "--precision", "fp8", "--gpu", "h200", "--context", "4096", "--sequences", "16", "--mode", "inference");
        Assert.True(code == 0, err);
        var lines = text.Split('\n');
        Assert.StartsWith("DeepSeek-V3 / R1 · FP8 · inference · 8 × NVIDIA H200", lines[0], StringComparison.Ordinal);
        Assert.Contains("fits", lines[0], StringComparison.Ordinal);
        foreach (var key in new[] { "weights", "kvCache", "activations", "overhead", "total", "per device" })
            Assert.Contains(lines, l => l.StartsWith(key, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("weights", StringComparison.Ordinal) && l.Contains(" × ", StringComparison.Ordinal) && l.Contains('='));
        Assert.Contains(lines, l => l.StartsWith("GPUs needed: 6; planned on 8", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tensorParallel: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("decode: ", StringComparison.Ordinal) && l.Contains("tokens/s", StringComparison.Ordinal));

        var json = JsonNode.Parse((await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "fp8", "--gpu", "h200", "--context", "4096", "--sequences", "16", "--mode", "inference", "--json")).Out)!;
        Assert.Equal((8, 8, 1), ((int)json["gpuCount"]!, (int)json["tensorParallel"]!, (int)json["nodes"]!));
        Assert.Equal("Fp8", (string?)json["request"]!["precision"]);
    }

    [Fact]
    public async Task Refused_plans_and_bad_command_lines_exit_2_naming_the_option()
    {
        var tooLong = await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "fp8", "--gpu", "h200", "--context", "200000", "--mode", "inference");
        Assert.Equal(2, tooLong.Code);
        Assert.Contains("plan estimate: --context: ", tooLong.Err, StringComparison.Ordinal);
        Assert.Contains("maximum context", tooLong.Err, StringComparison.Ordinal);
        Assert.Equal("", tooLong.Out);

        var zero = await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "fp8", "--gpu", "h200", "--context", "4096", "--gpus", "0", "--json");
        Assert.Equal(2, zero.Code);
        Assert.Contains("--gpus: ", zero.Err, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(zero.Out)!["errors"]!["--gpus"]);

        var ascend = await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "fp8", "--gpu", "ascend-910b", "--context", "4096");
        Assert.Equal(2, ascend.Code);
        Assert.Contains("--precision: ", ascend.Err, StringComparison.Ordinal);

        Assert.Equal(2, (await RunAsync("estimate", "--model", "deepseek-v9", "--precision", "bf16", "--gpu", "h200", "--context", "10")).Code);
        var precision = await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "fp9", "--gpu", "h200", "--context", "10");
        Assert.Equal(2, precision.Code);
        Assert.Contains("--precision expects fp32, bf16, fp16, fp8, int8 or int4, not \"fp9\"", precision.Err, StringComparison.Ordinal);
        var unknown = await RunAsync("estimate", "--model", "deepseek-v3", "--precision", "bf16", "--gpu", "h200", "--context", "10", "--colour", "red");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown option --colour", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("estimate", "--precision", "bf16", "--gpu", "h200", "--context", "10")).Code);
        Assert.Equal(2, (await RunAsync("frobnicate")).Code);
        Assert.Equal(0, (await RunAsync("help", "estimate")).Code);
    }

    [Fact]
    public async Task Models_gpus_and_claims_list_the_catalogue_and_a_model_config_folder_is_planned_from_its_config()
    {
        var models = await RunAsync("models");
        Assert.Equal(0, models.Code);
        Assert.Contains(models.Out.Split('\n'), l => l.StartsWith("deepseek-v3 ", StringComparison.Ordinal) && l.Contains("MLA", StringComparison.Ordinal) && l.TrimEnd().EndsWith("deepseek-ai/DeepSeek-V3", StringComparison.Ordinal));

        var gpus = await RunAsync("gpus", "--cpu-bandwidth", "12.5");
        Assert.Equal(0, gpus.Code);
        Assert.Contains(gpus.Out.Split('\n'), l => l.StartsWith("h200 ", StringComparison.Ordinal));
        Assert.Contains(gpus.Out.Split('\n'), l => l.StartsWith("cpu ", StringComparison.Ordinal) && l.Contains("12.5", StringComparison.Ordinal));
        Assert.Contains("configured", gpus.Out, StringComparison.Ordinal);

        var claims = JsonNode.Parse((await RunAsync("claims", "--json")).Out)!.AsArray();
        Assert.Contains(claims, c => (bool)c!["holds"]! == false);

        var folder = Path.Combine(_work, "demo");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), DeepSeekConfig.Tiny(2048).ToJson());
        var plan = await RunAsync("estimate", "--model-config", folder, "--precision", "fp32", "--gpu", "cpu", "--cpu-bandwidth", "10", "--context", "64", "--sequences", "4", "--json");
        Assert.True(plan.Code == 0, plan.Err);
        var json = JsonNode.Parse(plan.Out)!;
        Assert.Equal("deepseek_v2", (string?)json["model"]!["modelType"]);
        Assert.Equal(1, (int)json["gpuCount"]!);
        Assert.Equal(2, (await RunAsync("estimate", "--model-config", folder, "--model", "deepseek-v3", "--precision", "fp32", "--gpu", "cpu", "--context", "64")).Code);
    }

    [Fact]
    public async Task Compose_and_kubernetes_write_the_files_the_api_serves()
    {
        var target = Path.Combine(_work, "out", "compose.yaml");
        var (code, text, err) = await RunAsync("compose", "--engine", "vllm", "--model", "r1-distill-qwen-32b", "--precision", "bf16", "--gpu", "a100-80", "--context", "32768", "--sequences", "8", "--out", target);
        Assert.True(code == 0, err);
        Assert.StartsWith("wrote " + target, text, StringComparison.Ordinal);
        var lines = (await File.ReadAllLinesAsync(target)).Select(l => l.Trim()).ToList();
        Assert.Contains("- \"deepseek-ai/DeepSeek-R1-Distill-Qwen-32B\"", lines);
        var tp = lines[lines.IndexOf("- \"--tensor-parallel-size\"") + 1];
        Assert.Matches("^- \"[1248]\"$", tp);

        var manifest = await RunAsync("kubernetes", "--engine", "sglang", "--model", "r1-distill-qwen-7b", "--precision", "bf16", "--gpu", "l40s", "--context", "8192");
        Assert.Equal(0, manifest.Code);
        Assert.Contains("kind: \"Service\"", manifest.Out.Replace("kind: Service", "kind: \"Service\""), StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("compose", "--engine", "tgi", "--model", "r1-distill-qwen-7b", "--precision", "bf16", "--gpu", "l40s", "--context", "8192")).Code);
        Assert.Equal(2, (await RunAsync("compose", "--engine", "vllm", "--served-name", "No Good", "--model", "r1-distill-qwen-7b", "--precision", "bf16", "--gpu", "l40s", "--context", "8192")).Code);
    }
}
