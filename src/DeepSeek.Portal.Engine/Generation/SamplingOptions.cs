namespace DeepSeek.Portal.Engine.Generation;

/// <summary>How <see cref="SequenceGenerator"/> picks tokens and when it stops.</summary>
public sealed record SamplingOptions
{
    /// <summary>Most tokens generated per prompt.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Softmax temperature; 0 means greedy (argmax, no randomness).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the this-many most likely tokens before sampling; 0 turns it off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches this (nucleus); 1 turns it off.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>
    /// CTRL-style penalty on every token already in the prompt or the output (HF <c>repetition_penalty</c>): a positive
    /// logit is divided by it, a negative one multiplied; 1 turns it off.
    /// </summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Token ids that end a sequence (e.g. the end-of-sentence id); the stop token is part of the output.</summary>
    public IReadOnlyList<long> StopTokenIds { get; init; } = [];

    /// <summary>Texts that end a sequence once the decoded output contains one (needs a decoder); cut from <see cref="GenerationResult.Text"/>.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Seed of the sampling random numbers; the same seed, model and prompts give the same output.</summary>
    public int Seed { get; init; }

    /// <summary>Whether tokens are chosen by argmax.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Field name → messages for each invalid value; empty when usable.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (MaxNewTokens < 1) errors[nameof(MaxNewTokens)] = [$"MaxNewTokens must be at least 1 (was {MaxNewTokens})."];
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) errors[nameof(Temperature)] = [$"Temperature must be 0 (greedy) or a positive finite number (was {Temperature})."];
        if (TopK < 0) errors[nameof(TopK)] = [$"TopK must be 0 (off) or positive (was {TopK})."];
        if (!(TopP > 0 && TopP <= 1)) errors[nameof(TopP)] = [$"TopP must be in (0, 1] (was {TopP})."];
        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty)) errors[nameof(RepetitionPenalty)] = [$"RepetitionPenalty must be a positive finite number (was {RepetitionPenalty})."];
        if (StopStrings.Any(string.IsNullOrEmpty)) errors[nameof(StopStrings)] = ["StopStrings must not contain empty strings."];
        return errors;
    }
}

/// <summary>Why a sequence stopped.</summary>
public enum FinishReason
{
    /// <summary><see cref="SamplingOptions.MaxNewTokens"/> reached.</summary>
    Length,

    /// <summary>A token of <see cref="SamplingOptions.StopTokenIds"/> was generated.</summary>
    StopToken,

    /// <summary>The decoded output came to contain one of <see cref="SamplingOptions.StopStrings"/>.</summary>
    StopString,
}

/// <summary>One generated token, as streamed.</summary>
/// <param name="Sequence">Index of the prompt it continues.</param>
/// <param name="Index">Its position in that prompt's output (0 for the first new token).</param>
/// <param name="TokenId">The token.</param>
public readonly record struct GeneratedToken(int Sequence, int Index, long TokenId);

/// <summary>The output for one prompt.</summary>
/// <param name="TokenIds">Generated ids (stop token included; tokens after a stop string's completion never generated).</param>
/// <param name="Reason">Why generation stopped.</param>
/// <param name="Text">Decoded output with a matched stop string and anything after it removed, or <c>null</c> without a decoder.</param>
public sealed record GenerationResult(IReadOnlyList<long> TokenIds, FinishReason Reason, string? Text);
