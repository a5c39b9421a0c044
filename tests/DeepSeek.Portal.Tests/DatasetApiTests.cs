using System.Net;
using System.Net.Http.Json;
using System.Text;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

public sealed class DatasetApiTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Upload_of_valid_jsonl_creates_a_dataset_with_counts_and_preview()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "support-faq", records: 10);
        Assert.Equal(10, dataset.RecordCount);
        Assert.Equal("jsonl", dataset.Format);
        var listed = await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets");
        Assert.Contains(listed!, d => d.Id == dataset.Id && d.Name == "support-faq");
        var preview = await _engineer.GetFromJsonAsync<List<string>>($"/api/datasets/{dataset.Id}/preview?count=2");
        Assert.Equal(2, preview!.Count);
        Assert.StartsWith("客户：张伟", preview[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_with_a_malformed_line_names_the_file_and_line_and_stores_nothing()
    {
        var filesBefore = Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length;
        var content = "{\"text\":\"第一行\"}\n{\"text\":\"second\"}\n{\"text\": \"broken\n{\"text\":\"fourth\"}\n";
        var response = await _engineer.PostAsync("/api/datasets", TestData.Upload("broken.jsonl", content, "broken"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("broken.jsonl", body, StringComparison.Ordinal);
        Assert.Contains("line 3", body, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"MalformedJson\"", body, StringComparison.Ordinal);
        var listed = await _engineer.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets");
        Assert.DoesNotContain(listed!, d => d.Name == "broken");
        Assert.Equal(filesBefore, Directory.GetFiles(Path.Combine(_portal.DataDirectory, "datasets")).Length);
    }

    [Fact]
    public void Import_errors_read_in_chinese_by_kind_with_the_english_detail()
    {
        var localizer = _portal.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<SharedResource>>();
        var error = new DeepSeek.Portal.Feeding.Import.ImportError("数据.jsonl", 7, "text", "expected a string but found a number") { Kind = DeepSeek.Portal.Feeding.Import.ImportErrorKind.WrongType };
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        try
        {
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-Hans");
            Assert.Equal("数据.jsonl，第 7 行，字段“text”：字段类型错误（expected a string but found a number）", ImportErrorText.Describe(error, localizer));
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");
            Assert.Equal("数据.jsonl, line 7, field \"text\": expected a string but found a number", ImportErrorText.Describe(error, localizer));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task Upload_over_the_size_limit_is_refused_as_too_large()
    {
        var big = Encoding.UTF8.GetBytes(TestData.BilingualJsonl(2000)); // well over the 64 KB test limit
        var response = await _engineer.PostAsync("/api/datasets", TestData.Upload("big.jsonl", big, "big"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("too large", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Upload_of_an_unsupported_file_type_is_refused()
    {
        var response = await _engineer.PostAsync("/api/datasets", TestData.Upload("data.csv", "a,b\n1,2\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(".jsonl", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Txt_upload_splits_documents_on_blank_lines()
    {
        var response = await _engineer.PostAsync("/api/datasets", TestData.Upload("notes.txt", "第一段\n继续\n\nSecond document\n", "notes"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dataset = await response.Content.ReadFromJsonAsync<DatasetSummary>();
        Assert.Equal(2, dataset!.RecordCount);
    }

    [Fact]
    public async Task Duplicate_dataset_names_are_a_409_naming_the_existing_dataset()
    {
        var first = await TestData.UploadDatasetAsync(_engineer, "same-name", records: 3);
        var again = await _engineer.PostAsync("/api/datasets", TestData.Upload("same-name.jsonl", TestData.BilingualJsonl(4), "same-name"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var body = await again.Content.ReadAsStringAsync();
        Assert.Contains("already exists", body, StringComparison.Ordinal);
        Assert.Contains($"\"datasetId\":{first.Id}", body, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"DuplicateName\"", body, StringComparison.Ordinal);
    }
}
