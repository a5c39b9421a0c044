namespace DeepSeek.Portal.Feeding.Cleaning;

/// <summary>How <see cref="Preprocessor"/> treats white space.</summary>
public enum WhitespaceHandling
{
    /// <summary>Leave white space as it is.</summary>
    Keep,

    /// <summary>
    /// Every run of white space becomes one space, except that a run holding a blank line becomes one blank line
    /// (<c>"\n\n"</c>), so paragraphs survive, and a line break between two CJK characters disappears (Chinese has no
    /// spaces between words; a wrapped line is not a word break). Leading and trailing white space is removed.
    /// </summary>
    CollapseKeepParagraphs,

    /// <summary>Every run of white space, newlines included, becomes one space, and the ends are trimmed: the seed's <c>re.sub(r'\s+', ' ', text)</c>.</summary>
    CollapseAll,
}

/// <summary>Settings of <see cref="Preprocessor"/>; the steps run in the order of the properties.</summary>
public sealed record PreprocessOptions
{
    /// <summary>
    /// Unicode NFKC; on by default. It maps compatibility characters to their plain forms: full-width letters and digits
    /// (ＡＢＣ１２３ → ABC123), the ideographic space U+3000 (→ a space), circled and superscript digits (① → 1),
    /// ligatures (ﬁ → fi) — and full-width punctuation (，？！：；（） → ,?!:;()), which changes how Chinese text looks;
    /// the ideographic full stop 。 and the enumeration comma 、 are not compatibility characters and stay.
    /// </summary>
    public bool Nfkc { get; init; } = true;

    /// <summary>White-space handling; default <see cref="WhitespaceHandling.CollapseKeepParagraphs"/>.</summary>
    public WhitespaceHandling Whitespace { get; init; } = WhitespaceHandling.CollapseKeepParagraphs;

    /// <summary>Lower-case the ASCII letters A–Z (the seed's lower-casing of <c>[a-zA-Z0-9]+</c> runs); off by default, since case carries meaning for a generative model.</summary>
    public bool LowercaseAscii { get; init; }

    /// <summary>Truncate to this many tokens of the tokenizer; default 512 (the seed's <c>max_length</c>); null turns truncation off.</summary>
    public int? MaxTokens { get; init; } = 512;
}
