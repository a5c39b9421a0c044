namespace DeepSeek.Portal.Feeding.Import;

/// <summary>One training text read from an upload.</summary>
/// <param name="Line">
/// Where the record is: the 1-based line where it starts for line-based formats (JSONL, CSV/TSV, text), the 1-based
/// record number for JSON arrays and the 1-based row for Parquet.
/// </param>
/// <param name="Text">
/// The record's text, exactly as uploaded except that line endings are normalised to <c>\n</c>
/// (and, for plain text, trailing whitespace is trimmed from each line).
/// </param>
public sealed record ImportedRecord(long Line, string Text)
{
    /// <summary>
    /// For pair shapes, the part a model is given: an alpaca instruction (and input), a prompt or question, or the
    /// turns of a conversation before its last assistant turn; otherwise <see langword="null"/>. Kept so that evaluation
    /// can use the records as references.
    /// </summary>
    public string? Prompt { get; init; }

    /// <summary>For pair shapes, the reference answer (alpaca output, completion/response/answer, last assistant turn); otherwise <see langword="null"/>.</summary>
    public string? Response { get; init; }

    /// <summary>
    /// For conversations, every non-empty turn in order, roles normalised (<see cref="ConversationRoles.Normalise"/>);
    /// <see cref="Text"/> is their contents joined with <c>\n</c>. Chat fine-tuning trains on each assistant turn.
    /// Otherwise <see langword="null"/>.
    /// </summary>
    public IReadOnlyList<ConversationTurn>? Turns { get; init; }

    /// <summary>Value equality, turns compared turn by turn (a record's generated equality would compare the list's reference).</summary>
    public bool Equals(ImportedRecord? other) =>
        other is not null && Line == other.Line && Text == other.Text && Prompt == other.Prompt && Response == other.Response
        && (Turns is null ? other.Turns is null : other.Turns is not null && Turns.SequenceEqual(other.Turns));

    public override int GetHashCode() => HashCode.Combine(Line, Text, Prompt, Response, Turns?.Count);
}
