using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepSeek.Portal.Evaluation.Metrics;

namespace DeepSeek.Portal.Bench;

/// <summary>
/// Corpus BLEU throughput: generated sentence pairs (a reference and a hypothesis that keeps most of its words, drops
/// some and swaps some), English with 13a and Chinese with zh, timed end to end (tokenizing both sides, n-gram
/// counting, one corpus score). Usage: … -- bleu [--pairs N] [--rounds N]
/// </summary>
internal static class BleuBench
{
    private static readonly string[] Words =
    [
        "the", "market", "rose", "after", "bank", "reported", "strong", "quarterly", "earnings", "and", "investors",
        "expected", "rates", "to", "fall", "while", "analysts", "warned", "of", "risks", "in", "credit", "growth",
        "company", "said", "its", "revenue", "increased", "by", "percent", "year", "on", "a", "basis", "shares",
        "closed", "higher", "lower", "trading", "volume", "was", "light", "central", "policy", "inflation", "data",
    ];

    private const string Hanzi = "市场在银行发布强劲季度业绩后上涨投资者预期利率将下降分析师警告信贷增长风险公司表示其收入同比增加百分之股价收盘走高交易量清淡央行政策通胀数据";

    public static int Run(string[] args)
    {
        int pairs = 100_000, rounds = 3;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--pairs") pairs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        Console.WriteLine($"# Corpus BLEU throughput — {pairs:N0} generated sentence pairs, best of {rounds} rounds, {Environment.ProcessorCount} logical processors, one thread");
        Console.WriteLine();
        Console.WriteLine("| language | tokenizer | pairs | mean hyp tokens | BLEU | best s | sentences/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var (name, tokenizer) in new[] { ("English", BleuTokenizer.V13a), ("Chinese", BleuTokenizer.Zh) })
        {
            var (hyps, refs) = Generate(pairs, tokenizer == BleuTokenizer.Zh, seed: 1);
            var options = new BleuOptions { Tokenizer = tokenizer };
            Bleu.CorpusOfSegments(hyps[..Math.Min(2000, pairs)], refs[..Math.Min(2000, pairs)], options); // warm-up (JIT)
            double best = double.MaxValue;
            BleuScore? score = null;
            for (int r = 0; r < rounds; r++)
            {
                var watch = Stopwatch.StartNew();
                score = Bleu.CorpusOfSegments(hyps, refs, options);
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(tokenizer == BleuTokenizer.Zh ? "zh" : "13a")} | {pairs:N0} | {(double)score!.SysLen / pairs:F1} | {score.Score:F2} | {best:F2} | {pairs / best:N0} |"));
        }
        return 0;
    }

    private static (string[] Hyps, IReadOnlyList<string?>[] Refs) Generate(int pairs, bool chinese, int seed)
    {
        var random = new Random(seed);
        var hyps = new string[pairs];
        var refs = new IReadOnlyList<string?>[pairs];
        var sb = new StringBuilder();
        for (int i = 0; i < pairs; i++)
        {
            int length = random.Next(8, 30);
            var reference = new string[length];
            for (int j = 0; j < length; j++) reference[j] = chinese ? Hanzi[random.Next(Hanzi.Length)].ToString() : Words[random.Next(Words.Length)];
            sb.Clear();
            foreach (var token in reference)
            {
                double u = random.NextDouble();
                if (u < 0.1) continue;                                                   // dropped
                var t = u < 0.25 ? (chinese ? Hanzi[random.Next(Hanzi.Length)].ToString() : Words[random.Next(Words.Length)]) : token;
                if (!chinese && sb.Length > 0) sb.Append(' ');
                sb.Append(t);
            }
            sb.Append(chinese ? "。" : ".");
            hyps[i] = sb.ToString();
            refs[i] = [string.Join(chinese ? "" : " ", reference) + (chinese ? "。" : ".")];
        }
        return (hyps, refs);
    }
}
