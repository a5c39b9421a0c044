namespace DeepSeek.Portal.Bench;

internal sealed class BenchReport
{
    public DateTimeOffset StartedAt { get; init; }
    public string Device { get; init; } = "";
    public int ProcessorCount { get; init; }
    public int EngineThreads { get; init; }
    public IReadOnlyList<MatmulResult> Matmul { get; set; } = [];
    public List<TrainingResult> Training { get; } = [];
    public double TotalSeconds { get; set; }
}

internal sealed record MatmulResult(string Precision, int Size, int Threads, double BestSeconds, double GflopsPerSecond);

internal sealed class TrainingResult
{
    public string Precision { get; init; } = "";
    public int Steps { get; init; }
    public int EffectiveBatchSize { get; init; }
    public int SequenceLength { get; init; }
    public int VocabSize { get; init; }
    public long ParameterCount { get; init; }
    public double ModelFlopsPerToken { get; init; }
    public double SecondsToFirstProgress { get; init; }
    public double SecondsToLastStep { get; init; }
    public double MedianStepSeconds { get; init; }
    /// <summary>Tokens per optimizer step ÷ median step time.</summary>
    public double TokensPerSecond { get; init; }
    /// <summary>The engine's own average over the attempt (includes slow outlier steps).</summary>
    public double EngineTokensPerSecond { get; init; }
    /// <summary>Best square-matmul rate of this precision using every logical processor (the machine roofline).</summary>
    public double MatmulGflopsPerSecond { get; set; }
    /// <summary>Model FLOPs per second ÷ the machine roofline.</summary>
    public double ModelFlopsUtilisation { get; set; }
    /// <summary>Best matmul rate with the engine's own thread count.</summary>
    public double EngineThreadsMatmulGflopsPerSecond { get; set; }
    /// <summary>Model FLOPs per second ÷ the matmul rate at the engine's thread count.</summary>
    public double EngineThreadsModelFlopsUtilisation { get; set; }
    public double? HeldOutLoss { get; init; }
    public double? HeldOutPerplexity { get; init; }
    /// <summary>Loss reported at selected steps; step 0 is the first step's loss, computed with the initial weights.</summary>
    public SortedDictionary<int, double> LossAtStep { get; init; } = [];
}
