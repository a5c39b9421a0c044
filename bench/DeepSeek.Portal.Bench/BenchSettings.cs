using System.Globalization;

namespace DeepSeek.Portal.Bench;

internal sealed record BenchSettings(int Steps, IReadOnlyList<string> Precisions, string? OutPath, int? Threads)
{
    public static BenchSettings Parse(string[] args)
    {
        int steps = 200;
        string precision = "both";
        string? outPath = null;
        int? threads = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--steps": steps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--precision": precision = Value(); break;
                case "--out": outPath = Value(); break;
                case "--threads": threads = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: [--steps N] [--precision fp32|bf16|both] [--threads N] [--out path.json]");
            }
        }
        string[] precisions = precision switch
        {
            "both" => ["fp32", "bf16"],
            "fp32" or "bf16" => [precision],
            _ => throw new ArgumentException($"--precision must be fp32, bf16 or both (was '{precision}')."),
        };
        return new BenchSettings(steps, precisions, outPath, threads);
    }
}
