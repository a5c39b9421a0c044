using System.Text;

namespace DeepSeek.Portal.Feeding.Import;

/// <summary>
/// Assembles plain-text documents from lines: a document is a run of non-blank lines, and one or more
/// blank lines end it. A document with any bad line is reported line by line and not kept.
/// </summary>
internal sealed class TextDocumentReader(ImportSession session)
{
    private readonly List<string> _lines = [];
    private int _startLine;
    private bool _invalid;

    public void Read(int line, ReadOnlyMemory<byte> bytes)
    {
        var invalidAt = TextRules.IndexOfInvalidUtf8(bytes.Span);
        if (invalidAt >= 0)
        {
            Begin(line);
            _invalid = true;
            session.Error(ImportErrorKind.InvalidUtf8, line, null, session.InvalidEncodingMessage(invalidAt));
            return;
        }

        var text = Encoding.UTF8.GetString(bytes.Span);
        if (string.IsNullOrWhiteSpace(text))
        {
            Flush();
            return;
        }

        Begin(line);
        var control = TextRules.IndexOfForbiddenControl(text);
        if (control >= 0)
        {
            _invalid = true;
            session.Error(ImportErrorKind.ControlCharacter, line, null,
                $"contains the control character {TextRules.DescribeControl(text[control])} at column {control + 1}");
            return;
        }

        _lines.Add(text.TrimEnd());
    }

    /// <summary>Ends the current document, if any; call once more after the last line.</summary>
    public void Flush()
    {
        if (_startLine == 0)
        {
            return;
        }

        if (!_invalid)
        {
            session.AddRecord(_startLine, null, string.Join('\n', _lines));
        }

        _lines.Clear();
        _startLine = 0;
        _invalid = false;
    }

    private void Begin(int line)
    {
        if (_startLine == 0)
        {
            _startLine = line;
        }
    }
}
