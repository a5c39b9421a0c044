using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepSeek.Portal.Planning.Tests.Notes;

public partial class PlanNoteTests
{
    [Fact]
    public void A_note_keeps_each_value_formatted_as_its_hole_says_and_a_template_that_rebuilds_the_text()
    {
        double ratio = 0.50237;
        int count = 12345;
        var note = PlanNote.Of("Sample", $"{count:N0} tokens, {ratio:0.###} of FP16, {true} and {"H200"} ({{literal}}).");
        Assert.Equal("12,345 tokens, 0.502 of FP16, True and H200 ({literal}).", note.Text);
        Assert.Equal(["12,345", "0.502", "True", "H200"], note.Args);
        Assert.Equal("{0} tokens, {1} of FP16, {2} and {3} ({{literal}}).", note.Template);
        Assert.Equal(note.Text, string.Format(CultureInfo.InvariantCulture, note.Template, [.. note.Args]));
        Assert.Equal(note.Text, note.ToString());
    }

    [Fact]
    public void Notes_do_not_follow_the_thread_culture()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var note = PlanNote.Of("Sample", $"{1234.5:N1} B");
            Assert.Equal("1,234.5 B", note.Text);
            Assert.Equal(["1,234.5"], note.Args);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Every_code_the_sweep_finds_has_one_English_template_whose_holes_match_its_arguments()
    {
        var notes = PlanNoteSweep.All();
        foreach (var group in notes.GroupBy(n => n.Code))
        {
            Assert.Matches("^[A-Z][A-Za-z0-9]*$", group.Key);
            var templates = group.Select(n => n.Template).Distinct().ToList();
            Assert.True(templates.Count == 1, $"{group.Key} has {templates.Count} templates:\n" + string.Join("\n", templates));
            foreach (var note in group.DistinctBy(n => n.Text))
            {
                Assert.Equal(Holes(note.Template), note.Args.Count);
                Assert.Equal(note.Text, string.Format(CultureInfo.InvariantCulture, note.Template, [.. note.Args]));
                Assert.DoesNotContain(note.Args, string.IsNullOrWhiteSpace);
            }
        }
    }

    [Fact]
    public void The_sweep_reaches_every_code_the_library_writes()
    {
        // The codes in the library's source: a code the sweep cannot reach would go untranslated unnoticed.
        var written = LibrarySource()
            .SelectMany(text => CodeInSource().Matches(text).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        var reached = PlanNoteSweep.All().Select(n => n.Code).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(written);
        Assert.Empty(written.Except(reached).Order(StringComparer.Ordinal));
        Assert.Empty(reached.Except(written).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_six_seed_claims_each_have_their_own_computation_and_verdict_codes()
    {
        var claims = DeepSeek.Portal.Planning.Estimates.Planner.SeedClaims();
        Assert.Equal(12, claims.SelectMany(c => new[] { c.Computation.Code, c.Verdict.Code }).Distinct().Count());
        Assert.All(claims, c => Assert.NotEmpty(c.Computation.Args));
    }

    /// <summary>Holes of a template: the distinct <c>{n}</c> indices (escaped braces not counted).</summary>
    public static int Holes(string template) =>
        Hole().Matches(template.Replace("{{", "", StringComparison.Ordinal).Replace("}}", "", StringComparison.Ordinal))
            .Select(m => m.Groups[1].Value).Distinct().Count();

    private static IEnumerable<string> LibrarySource()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSeek.Portal.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Directory.EnumerateFiles(Path.Combine(dir.FullName, "src", "DeepSeek.Portal.Planning"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText);
    }

    [GeneratedRegex(@"PlanNote\.Of\(""([A-Za-z0-9]+)""")]
    private static partial Regex CodeInSource();

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex Hole();
}
