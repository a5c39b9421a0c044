using System.Globalization;
using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Feeding.Import;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Tests;

public sealed class ImportErrorTextTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public void Every_import_error_kind_has_its_own_words_in_english_and_chinese()
    {
        var localizer = _portal.Services.GetRequiredService<IStringLocalizer<SharedResource>>();
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            foreach (var culture in new[] { "en", "zh-Hans" })
            {
                CultureInfo.CurrentUICulture = new CultureInfo(culture);
                var words = Enum.GetValues<ImportErrorKind>().ToDictionary(k => k, k => localizer["ImportKind_" + k]);
                Assert.All(words, w => Assert.False(w.Value.ResourceNotFound, $"{culture}: {w.Key}"));
                Assert.Equal(words.Count, words.Values.Select(v => v.Value).Distinct().Count());
            }
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public void A_duplicate_name_reads_as_a_taken_name_in_chinese_not_as_an_unsupported_file()
    {
        var localizer = _portal.Services.GetRequiredService<IStringLocalizer<SharedResource>>();
        var error = new ImportError("faq.jsonl", null, "name", "a dataset named \"faq\" already exists (id 3)") { Kind = ImportErrorKind.DuplicateName };
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = new CultureInfo("zh-Hans");
            Assert.Equal("faq.jsonl，字段“name”：数据集名称已被占用（a dataset named \"faq\" already exists (id 3)）", ImportErrorText.Describe(error, localizer));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }
}
