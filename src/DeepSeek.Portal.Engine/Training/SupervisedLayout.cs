using DeepSeek.Portal.Engine.Tokenization;

namespace DeepSeek.Portal.Engine.Training;

/// <summary>A run of a supervised example's tokens, and whether they are loss targets.</summary>
/// <param name="Ids">The token ids.</param>
/// <param name="Trained">Whether each of them is predicted (the assistant's words and their closing EOS) or only read.</param>
public readonly record struct LayoutSegment(int[] Ids, bool Trained);

/// <summary>
/// How a <see cref="SupervisedExample"/> becomes one training document: its tokens, cut into runs that are trained on
/// (each assistant turn's content and the EOS that closes it) and runs that are only read (BOS, system, user and tool
/// turns, template markers). <see cref="Plain"/> is the layout for the portal's own tokenizer;
/// <see cref="ForTemplate"/> lays conversations out in a DeepSeek model family's chat format, for fine-tuning a
/// registered model the way it is prompted.
/// </summary>
public abstract class SupervisedLayout
{
    /// <summary>
    /// <c>BOS</c>, then each run of non-assistant turns as their contents joined and followed by <c>"\n"</c> (read),
    /// each assistant turn as its content and <c>EOS</c> (trained). A pair is thus <c>BOS Prompt "\n" Response EOS</c>,
    /// and a conversation is its stored text with an EOS, not a newline, after each answer. Turns after the last
    /// answer teach nothing and are left out.
    /// </summary>
    public static SupervisedLayout Plain { get; } = new PlainLayout();

    /// <summary>The conversation rendered by <see cref="ChatTemplates.Render"/> for <paramref name="template"/>.</summary>
    public static SupervisedLayout ForTemplate(ChatTemplate template) =>
        Enum.IsDefined(template) ? new TemplateLayout(template) : throw new ArgumentOutOfRangeException(nameof(template), template, null);

    /// <summary>A stable name (<c>plain</c>, <c>template:DeepSeekV3</c>); it is part of a run's fingerprint.</summary>
    public abstract string Name { get; }

    /// <summary>The example's tokens in order, starting with BOS; empty when <see cref="SupervisedExample.IsUsable"/> is false.</summary>
    public abstract IReadOnlyList<LayoutSegment> Encode(Tokenizer tokenizer, SupervisedExample example);

    public override string ToString() => Name;

    private sealed class PlainLayout : SupervisedLayout
    {
        public override string Name => "plain";

        public override IReadOnlyList<LayoutSegment> Encode(Tokenizer tokenizer, SupervisedExample example)
        {
            ArgumentNullException.ThrowIfNull(tokenizer);
            ArgumentNullException.ThrowIfNull(example);
            if (!example.IsUsable) return [];
            if (example.Turns is null)
            {
                // Exactly the pair layout trained before conversations were kept.
                return [new(tokenizer.Encode(example.Prompt + "\n", addBos: true), false), new(tokenizer.Encode(example.Response, addEos: true), true)];
            }
            var turns = example.Turns.Where(t => !string.IsNullOrWhiteSpace(t.Content)).ToList();
            int last = turns.FindLastIndex(t => t.Role == ChatRole.Assistant);
            var segments = new List<LayoutSegment>();
            var read = new List<string>();
            bool first = true;
            for (int i = 0; i <= last; i++)
            {
                if (turns[i].Role != ChatRole.Assistant)
                {
                    read.Add(turns[i].Content);
                    continue;
                }
                // The prompt before an answer is tokenised on its own, so the boundary is exact.
                if (read.Count > 0 || first)
                {
                    var prompt = read.Count > 0 ? string.Join('\n', read) + "\n" : "";
                    segments.Add(new(tokenizer.Encode(prompt, addBos: first), false));
                    read.Clear();
                    first = false;
                }
                segments.Add(new(tokenizer.Encode(turns[i].Content, addEos: true), true));
            }
            return segments;
        }
    }

    /// <summary>
    /// Renders the conversation with each content replaced by a placeholder, so the template's own text (markers,
    /// <c>User: </c>, BOS/EOS) is known apart from what was said: the template text is encoded with its special tokens
    /// as tokens, the contents as plain text (data never forges a control token). An assistant content is trained on
    /// together with the EOS the template closes it with, and with the whitespace the template puts before it
    /// (<c>Assistant: </c>), which belongs to the answer's first token as it is generated after <c>Assistant:</c>.
    /// </summary>
    private sealed class TemplateLayout(ChatTemplate template) : SupervisedLayout
    {
        private const char Open = '\uE000', Close = '\uE001';

        public override string Name => "template:" + template;

        public override IReadOnlyList<LayoutSegment> Encode(Tokenizer tokenizer, SupervisedExample example)
        {
            ArgumentNullException.ThrowIfNull(tokenizer);
            ArgumentNullException.ThrowIfNull(example);
            if (!example.IsUsable) return [];
            var turns = example.Messages.Where(t => !string.IsNullOrWhiteSpace(t.Content)).ToList();
            int last = turns.FindLastIndex(t => t.Role == ChatRole.Assistant);
            turns.RemoveRange(last + 1, turns.Count - last - 1); // turns after the last answer teach nothing
            var rendered = ChatTemplates.Render(template, turns.Select((t, i) => t with { Content = $"{Open}{i}{Close}" }).ToList());

            var segments = new List<LayoutSegment>();
            var read = new List<int>();
            int at = 0;
            while (at < rendered.Length)
            {
                int open = rendered.IndexOf(Open, at);
                int end = open < 0 ? rendered.Length : open;
                var templateText = rendered[at..end];
                if (open < 0)
                {
                    read.AddRange(EncodeTemplateText(tokenizer, templateText));
                    break;
                }
                int close = rendered.IndexOf(Close, open);
                var turn = turns[int.Parse(rendered.AsSpan(open + 1, close - open - 1), System.Globalization.CultureInfo.InvariantCulture)];
                at = close + 1;
                if (turn.Role != ChatRole.Assistant)
                {
                    read.AddRange(EncodeTemplateText(tokenizer, templateText));
                    read.AddRange(tokenizer.Encode(turn.Content));
                    continue;
                }
                // The answer owns the whitespace the template writes before it.
                var space = templateText[templateText.TrimEnd(' ').Length..];
                read.AddRange(EncodeTemplateText(tokenizer, templateText[..^space.Length]));
                if (read.Count > 0) segments.Add(new([.. read], false));
                read.Clear();
                if (!rendered.AsSpan(at).StartsWith(Tokenizer.EndOfSentence, StringComparison.Ordinal))
                    throw new InvalidOperationException($"The {template} template does not close an assistant turn with {Tokenizer.EndOfSentence}.");
                at += Tokenizer.EndOfSentence.Length;
                var content = template is ChatTemplate.DeepSeekR1 or ChatTemplate.DeepSeekR1Distill ? ChatTemplates.AnswerAfterReasoning(turn.Content) : turn.Content;
                segments.Add(new([.. tokenizer.Encode(space + content), tokenizer.EosId], true));
            }
            if (read.Count > 0) segments.Add(new([.. read], false));
            return segments;
        }

        /// <summary>Template text: a Hugging Face tokenizer matches its added tokens (markers); others get BOS/EOS as their ids and the rest as text.</summary>
        private static int[] EncodeTemplateText(Tokenizer tokenizer, string text)
        {
            if (text.Length == 0) return [];
            if (tokenizer is HuggingFaceTokenizer hf) return hf.EncodeWithAddedTokens(text);
            var ids = new List<int>();
            int at = 0;
            while (at < text.Length)
            {
                int bos = text.IndexOf(Tokenizer.BeginOfSentence, at, StringComparison.Ordinal);
                int eos = text.IndexOf(Tokenizer.EndOfSentence, at, StringComparison.Ordinal);
                int next = bos < 0 ? eos : eos < 0 ? bos : Math.Min(bos, eos);
                if (next < 0)
                {
                    ids.AddRange(tokenizer.Encode(text[at..]));
                    break;
                }
                ids.AddRange(tokenizer.Encode(text[at..next]));
                ids.Add(next == bos ? tokenizer.BosId : tokenizer.EosId);
                at = next + (next == bos ? Tokenizer.BeginOfSentence : Tokenizer.EndOfSentence).Length;
            }
            return [.. ids];
        }
    }
}
