using System.Globalization;
using System.Text;
using DeepSeek.Portal.Feeding.Demo;

namespace DeepSeek.Portal.Feeding.Composer;

/// <summary>Applies one <see cref="PerturbationKind"/> to a field; <c>null</c> when the kind has nothing to work on there.</summary>
internal static class Perturber
{
    public static (string Value, Perturbation Perturbation)? Apply(
        PerturbationKind kind, string value, string field, bool chinese, SplitMix64 random, int edits, int index) => kind switch
    {
        PerturbationKind.CharacterInsert => Insert(value, field, chinese, random, edits),
        PerturbationKind.CharacterDelete => Delete(value, field, random, edits),
        PerturbationKind.CharacterSwap => Swap(value, field, random, edits),
        PerturbationKind.Homoglyph => Substitute(kind, value, field, random, edits, PerturbationTables.LatinHomoglyphs.GetValueOrDefault),
        PerturbationKind.ChineseLookalike => Substitute(kind, value, field, random, edits, PerturbationTables.ChineseLookalikes.GetValueOrDefault),
        PerturbationKind.ChineseHomophone => Substitute(kind, value, field, random, edits, PerturbationTables.ChineseHomophones.GetValueOrDefault),
        PerturbationKind.WidthSwap => Substitute(kind, value, field, random, edits, c => PerturbationTables.WidthSwapped(c) ?? '\0'),
        PerturbationKind.Distractor => Distractor(value, field, chinese, random),
        PerturbationKind.PromptInjection => Injection(value, field, chinese, random, (InjectionStyle)(index % Enum.GetValues<InjectionStyle>().Length)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static List<int> Choose(List<int> candidates, int count, SplitMix64 random)
    {
        random.Shuffle(candidates);
        var chosen = candidates.Take(count).ToList();
        chosen.Sort();
        return chosen;
    }

    private static bool Editable(char c) => !char.IsSurrogate(c) && !char.IsWhiteSpace(c);

    private static (string, Perturbation) Result(PerturbationKind kind, string field, string value, string description, Dictionary<string, string> parameters) =>
        (value, new Perturbation(kind, field, description, parameters));

    private static (string, Perturbation)? Insert(string value, string field, bool chinese, SplitMix64 random, int edits)
    {
        // Insertion points between UTF-16 units that are not inside a surrogate pair.
        var points = Enumerable.Range(0, value.Length + 1).Where(i => i == value.Length || !char.IsLowSurrogate(value[i])).ToList();
        var chosen = Choose(points, edits, random);
        var inserted = chosen.Select(_ => chinese
            ? PerturbationTables.ChineseNoise[random.Next(PerturbationTables.ChineseNoise.Length)]
            : (char)('a' + random.Next(26))).ToArray();
        var text = new StringBuilder(value);
        for (int k = chosen.Count - 1; k >= 0; k--) text.Insert(chosen[k], inserted[k]);
        return Result(PerturbationKind.CharacterInsert, field, text.ToString(),
            "inserted " + string.Join(", ", chosen.Select((p, k) => Invariant($"'{inserted[k]}' at {p}"))),
            new() { ["positions"] = string.Join(",", chosen), ["inserted"] = new string(inserted) });
    }

    private static (string, Perturbation)? Delete(string value, string field, SplitMix64 random, int edits)
    {
        var candidates = Enumerable.Range(0, value.Length).Where(i => Editable(value[i])).ToList();
        if (candidates.Count < 2) return null; // leave something
        var chosen = Choose(candidates, Math.Min(edits, candidates.Count - 1), random);
        var deleted = new string(chosen.Select(p => value[p]).ToArray());
        var text = new StringBuilder(value);
        for (int k = chosen.Count - 1; k >= 0; k--) text.Remove(chosen[k], 1);
        return Result(PerturbationKind.CharacterDelete, field, text.ToString(),
            "deleted " + string.Join(", ", chosen.Select(p => Invariant($"'{value[p]}' at {p}"))),
            new() { ["positions"] = string.Join(",", chosen), ["deleted"] = deleted });
    }

    private static (string, Perturbation)? Swap(string value, string field, SplitMix64 random, int edits)
    {
        var candidates = Enumerable.Range(0, Math.Max(0, value.Length - 1))
            .Where(i => Editable(value[i]) && Editable(value[i + 1]) && value[i] != value[i + 1]).ToList();
        random.Shuffle(candidates);
        var chosen = new List<int>();
        foreach (int i in candidates)
        {
            if (chosen.Count == edits) break;
            if (chosen.All(c => Math.Abs(c - i) > 1)) chosen.Add(i); // swaps never overlap
        }
        if (chosen.Count == 0) return null;
        chosen.Sort();
        var text = value.ToCharArray();
        foreach (int i in chosen) (text[i], text[i + 1]) = (text[i + 1], text[i]);
        return Result(PerturbationKind.CharacterSwap, field, new string(text),
            "swapped " + string.Join(", ", chosen.Select(i => Invariant($"'{value[i]}{value[i + 1]}' at {i} → '{value[i + 1]}{value[i]}'"))),
            new() { ["positions"] = string.Join(",", chosen) });
    }

    private static (string, Perturbation)? Substitute(PerturbationKind kind, string value, string field, SplitMix64 random, int edits, Func<char, char> replacement)
    {
        var candidates = Enumerable.Range(0, value.Length).Where(i => replacement(value[i]) != '\0').ToList();
        if (candidates.Count == 0) return null;
        var chosen = Choose(candidates, edits, random);
        var text = value.ToCharArray();
        foreach (int i in chosen) text[i] = replacement(value[i]);
        var from = new string(chosen.Select(i => value[i]).ToArray());
        var to = new string(chosen.Select(i => text[i]).ToArray());
        return Result(kind, field, new string(text),
            "replaced " + string.Join(", ", chosen.Select(i => Invariant($"'{value[i]}' (U+{(int)value[i]:X4}) at {i} → '{text[i]}' (U+{(int)text[i]:X4})"))),
            new() { ["positions"] = string.Join(",", chosen), ["from"] = from, ["to"] = to });
    }

    private static (string, Perturbation) Distractor(string value, string field, bool chinese, SplitMix64 random)
    {
        var sentence = random.Pick(chinese ? PerturbationTables.ChineseDistractors : PerturbationTables.EnglishDistractors);
        return Result(PerturbationKind.Distractor, field, value + sentence,
            $"appended the distractor \"{sentence.Trim()}\"",
            new() { ["sentence"] = sentence, ["language"] = chinese ? "zh" : "en" });
    }

    private static (string, Perturbation) Injection(string value, string field, bool chinese, SplitMix64 random, InjectionStyle style)
    {
        // A canary an evaluator can look for in the model's answer (attack success).
        var canary = Invariant($"INJ-{random.NextUInt64() >> 40:X6}");
        var template = PerturbationTables.InjectionTemplate(style, chinese);
        return Result(PerturbationKind.PromptInjection, field, string.Format(CultureInfo.InvariantCulture, template, value, canary),
            Invariant($"appended a {style} injection asking for \"{canary}\""),
            new() { ["style"] = style.ToString(), ["language"] = chinese ? "zh" : "en", ["canary"] = canary, ["template"] = template });
    }
}
