using System.Globalization;
using DeepSeek.Portal.Feeding.Demo;
using DeepSeek.Portal.Feeding.Text;

namespace DeepSeek.Portal.Feeding.Composer;

/// <summary>What to compose.</summary>
/// <param name="General">Candidate general items.</param>
/// <param name="Domain">Candidate domain items (also the origins of the adversarial items).</param>
/// <param name="Size">Items in the suite.</param>
public sealed record CompositionRequest(IReadOnlyList<EvaluationItem> General, IReadOnlyList<EvaluationItem> Domain, int Size)
{
    /// <summary>Percent per slice; 20 / 60 / 20 by default.</summary>
    public SliceShares Shares { get; init; } = SliceShares.Default;

    /// <summary>Seed of every random choice: the same request always gives the same suite.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Perturbation kinds to use; <c>null</c>: all that apply to an item's language.</summary>
    public IReadOnlyList<PerturbationKind>? Kinds { get; init; }

    /// <summary>Characters changed by one character-level perturbation (insert, delete, swap, substitutions), 1–20.</summary>
    public int CharacterEdits { get; init; } = 2;
}

/// <summary>The counts a request gives, and why it cannot be composed (when it cannot).</summary>
/// <param name="General">General items in the suite.</param>
/// <param name="Domain">Domain items in the suite.</param>
/// <param name="Adversarial">Adversarial items in the suite.</param>
/// <param name="Problems">Everything that prevents composing, in words a user can act on; empty when it can be composed.</param>
public sealed record CompositionPlan(int General, int Domain, int Adversarial, IReadOnlyList<string> Problems)
{
    /// <summary>Whether <see cref="EvaluationSetComposer.Compose"/> will succeed.</summary>
    public bool CanCompose => Problems.Count == 0;
}

/// <summary>
/// Builds an evaluation suite (seed 3.2): general items, domain items and adversarial items derived from domain items,
/// in the requested shares. General and domain items are drawn without replacement; each adversarial item is derived
/// from a domain item (distinct origins while there are enough, then origins repeat with another perturbation) by the
/// next perturbation kind in a fixed rotation that applies to its language, so the kinds are spread evenly. The
/// prompt is perturbed when the origin has one (and replaced inside the text), otherwise the text.
/// </summary>
public static class EvaluationSetComposer
{
    private static readonly PerturbationKind[] ChineseRotation =
    [
        PerturbationKind.CharacterInsert, PerturbationKind.ChineseLookalike, PerturbationKind.Distractor, PerturbationKind.CharacterDelete,
        PerturbationKind.ChineseHomophone, PerturbationKind.PromptInjection, PerturbationKind.CharacterSwap, PerturbationKind.WidthSwap,
    ];

    private static readonly PerturbationKind[] LatinRotation =
    [
        PerturbationKind.CharacterInsert, PerturbationKind.Homoglyph, PerturbationKind.Distractor, PerturbationKind.CharacterDelete,
        PerturbationKind.PromptInjection, PerturbationKind.CharacterSwap, PerturbationKind.WidthSwap,
    ];

    /// <summary>The counts per slice and any reason the request cannot be composed; never throws for a non-null request.</summary>
    public static CompositionPlan Plan(CompositionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<string>();
        if (request.Size < 1) problems.Add($"The suite size must be at least 1 (was {request.Size}).");
        if (request.CharacterEdits is < 1 or > 20) problems.Add($"Character edits must be between 1 and 20 (was {request.CharacterEdits}).");
        if (request.Kinds is { Count: 0 }) problems.Add("Choose at least one perturbation kind.");
        var shareErrors = (request.Shares ?? SliceShares.Default).Validate();
        problems.AddRange(shareErrors);
        if (problems.Count > 0) return new CompositionPlan(0, 0, 0, problems);

        var (general, domain, adversarial) = request.Shares!.Counts(request.Size);
        int generalAvailable = Usable(request.General).Count, domainAvailable = Usable(request.Domain).Count;
        if (general > generalAvailable)
            problems.Add(Invariant($"The general slice needs {general} items ({request.Shares.General} % of {request.Size}) but only {generalAvailable} usable general items were given."));
        if (domain > domainAvailable)
            problems.Add(Invariant($"The domain slice needs {domain} items ({request.Shares.Domain} % of {request.Size}) but only {domainAvailable} usable domain items were given."));
        if (adversarial > 0 && domainAvailable == 0)
            problems.Add(Invariant($"The adversarial slice needs {adversarial} items derived from domain items, but no usable domain item was given."));
        return new CompositionPlan(general, domain, adversarial, problems);
    }

    /// <summary>Composes the suite: general items, then domain items, then adversarial items.</summary>
    /// <exception cref="InvalidOperationException">The plan has problems (for example too few items for the shares); the message lists them.</exception>
    public static IReadOnlyList<ComposedItem> Compose(CompositionRequest request)
    {
        var plan = Plan(request);
        if (!plan.CanCompose)
            throw new InvalidOperationException("Cannot compose the evaluation suite: " + string.Join(" ", plan.Problems));

        var random = new SplitMix64(unchecked((ulong)request.Seed) ^ 0xC0_4F05_E5E7UL);
        var items = new List<ComposedItem>(request.Size);

        var general = Usable(request.General);
        random.Shuffle(general);
        items.AddRange(general.Take(plan.General).Select((item, i) => Unchanged(item, EvaluationSlice.General, i)));

        var domain = Usable(request.Domain);
        random.Shuffle(domain);
        items.AddRange(domain.Take(plan.Domain).Select((item, i) => Unchanged(item, EvaluationSlice.Domain, i)));

        // A separate order for the origins, so the adversarial items are not all copies of the domain slice's first items.
        var origins = Usable(request.Domain);
        random.Shuffle(origins);
        int next = 0;
        for (int k = 0; k < plan.Adversarial; k++)
        {
            ComposedItem? derived = null;
            for (int attempt = 0; attempt < origins.Count && derived is null; attempt++)
                derived = Derive(origins[next++ % origins.Count], k, request, random);
            items.Add(derived ?? throw new InvalidOperationException(
                "Cannot compose the evaluation suite: none of the chosen perturbation kinds applies to any domain item."));
        }
        return items;
    }

    private static ComposedItem? Derive(EvaluationItem origin, int index, CompositionRequest request, SplitMix64 random)
    {
        bool hasPrompt = !string.IsNullOrWhiteSpace(origin.Prompt);
        string value = hasPrompt ? origin.Prompt! : origin.Text;
        string field = hasPrompt ? "prompt" : "text";
        bool chinese = LanguageGuess.Classify(value) == TextLanguage.Chinese;
        var rotation = (chinese ? ChineseRotation : LatinRotation)
            .Where(kind => request.Kinds is null || request.Kinds.Contains(kind)).ToArray();
        for (int i = 0; i < rotation.Length; i++)
        {
            var kind = rotation[(index + i) % rotation.Length];
            var applied = Perturber.Apply(kind, value, field, chinese, random, request.CharacterEdits, index);
            if (applied is not { } result || result.Value == value) continue;
            var (changed, perturbation) = result;
            string text = hasPrompt
                ? (origin.Text.Contains(value, StringComparison.Ordinal) ? ReplaceFirst(origin.Text, value, changed) : origin.Text)
                : changed;
            return new ComposedItem(Id(EvaluationSlice.Adversarial, index), EvaluationSlice.Adversarial, text,
                hasPrompt ? changed : origin.Prompt, origin.Reference, origin.Id, perturbation);
        }
        return null;
    }

    private static ComposedItem Unchanged(EvaluationItem item, EvaluationSlice slice, int index) =>
        new(Id(slice, index), slice, item.Text, item.Prompt, item.Reference, item.Id, null);

    private static List<EvaluationItem> Usable(IReadOnlyList<EvaluationItem>? items) =>
        items is null ? [] : items.Where(i => i is not null && !string.IsNullOrWhiteSpace(i.Text)).ToList();

    private static string Id(EvaluationSlice slice, int index) =>
        Invariant($"{slice.ToString().ToLowerInvariant()}-{index + 1:D4}");

    private static string ReplaceFirst(string text, string old, string replacement)
    {
        int at = text.IndexOf(old, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
