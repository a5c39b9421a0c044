using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DeepSeek.Portal.Datasets;

namespace DeepSeek.Portal.Tests;

/// <summary>POST /api/datasets over real HTTP: streamed to disk, malformed bodies refused, races decided, nothing left behind.</summary>
public sealed class UploadOverHttpTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private RealHttp _http = default!;
    private HttpClient _client = default!;

    public async Task InitializeAsync()
    {
        _http = RealHttp.Start(_portal);
        _client = await _http.EngineerAsync();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _portal.DisposeAsync();
    }

    private const string Boundary = "portal-test-boundary";
    private const string MultipartType = "multipart/form-data; boundary=" + Boundary;

    private Task<HttpResponseMessage> PostAsync(byte[] body, string contentType = MultipartType) =>
        _client.PostAsync("api/datasets", RealHttp.Body(body, contentType));

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Valid_upload_is_created_and_leaves_no_temporary_file()
    {
        var response = await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart("faq.jsonl", TestData.BilingualJsonl(5)), RealHttp.Field("name", "faq"), RealHttp.Field("description", "FAQ")]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dataset = await RealHttp.ReadAsync<DatasetSummary>(response);
        Assert.Equal(("faq", "FAQ", 5), (dataset.Name, dataset.Description, dataset.RecordCount));
        Assert.Equal([dataset.Sha256 + ".jsonl"], _http.DatasetFiles().Select(Path.GetFileName));
        await _http.AssertNothingLeftBehindAsync("after a successful upload");
    }

    [Fact]
    public async Task Two_uploads_with_one_name_at_once_give_one_201_and_one_409_and_no_orphan_file()
    {
        // Several rounds, different content each side, so both requests get past the name check and race to the unique index.
        for (var round = 0; round < 4; round++)
        {
            var name = $"race-{round}";
            var bodies = new[] { TestData.BilingualJsonl(30 + round), TestData.BilingualJsonl(40 + round) }
                .Select(content => RealHttp.Multipart(Boundary, [RealHttp.FilePart("race.jsonl", content), RealHttp.Field("name", name)]))
                .ToArray();
            using var second = new HttpClient { BaseAddress = _client.BaseAddress };
            second.DefaultRequestHeaders.Authorization = _client.DefaultRequestHeaders.Authorization;
            var responses = await Task.WhenAll(
                _client.PostAsync("api/datasets", RealHttp.Body(bodies[0], MultipartType)),
                second.PostAsync("api/datasets", RealHttp.Body(bodies[1], MultipartType)));

            Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
            var created = await RealHttp.ReadAsync<DatasetSummary>(responses.Single(r => r.StatusCode == HttpStatusCode.Created));
            var conflict = await ProblemAsync(responses.Single(r => r.StatusCode == HttpStatusCode.Conflict));
            Assert.Equal(created.Id, conflict.GetProperty("datasetId").GetInt32());
            Assert.Equal("DuplicateName", conflict.GetProperty("errors")[0].GetProperty("kind").GetString());
            Assert.Single(await _http.DatasetRowsAsync(), d => d.Name == name);
            await _http.AssertNothingLeftBehindAsync($"after race {round}");
        }
    }

    [Fact]
    public async Task Reuploading_identical_content_is_a_409_naming_the_existing_dataset()
    {
        var content = TestData.BilingualJsonl(7);
        var first = await RealHttp.ReadAsync<DatasetSummary>(await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart("a.jsonl", content), RealHttp.Field("name", "original")])));

        var again = await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart("b.jsonl", content), RealHttp.Field("name", "copy")]));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await ProblemAsync(again);
        Assert.Equal(first.Id, problem.GetProperty("datasetId").GetInt32());
        Assert.Equal("DuplicateContent", problem.GetProperty("errors")[0].GetProperty("kind").GetString());
        Assert.Contains("\"original\"", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await _http.DatasetRowsAsync(), d => d.Name == "copy");
        await _http.AssertNothingLeftBehindAsync("after a duplicate upload");
    }

    [Fact]
    public async Task A_second_file_part_is_refused_with_400()
    {
        var response = await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart("one.jsonl", TestData.BilingualJsonl(2)), RealHttp.FilePart("two.jsonl", TestData.BilingualJsonl(3))]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Contains("second file part (\"two.jsonl\"", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("InvalidUpload", problem.GetProperty("errors")[0].GetProperty("kind").GetString());
        Assert.Empty(await _http.DatasetRowsAsync());
        await _http.AssertNothingLeftBehindAsync("after a second file part");
    }

    [Theory]
    [InlineData(@"C:\Users\wei\Desktop\support.jsonl")]
    [InlineData("../../etc/support.jsonl")]
    [InlineData("/var/tmp/support.jsonl")]
    public async Task A_file_name_with_path_separators_keeps_only_its_last_segment(string fileName)
    {
        var response = await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart(fileName, TestData.BilingualJsonl(3))]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dataset = await RealHttp.ReadAsync<DatasetSummary>(response);
        Assert.Equal(("support.jsonl", "support"), (dataset.SourceFileName, dataset.Name));
    }

    [Fact]
    public async Task OpenApi_describes_the_multipart_upload_and_a_wrong_content_type_gets_a_message()
    {
        using var doc = JsonDocument.Parse(await _client.GetStringAsync("openapi/v1.json"));
        var body = doc.RootElement.GetProperty("paths").GetProperty("/api/datasets").GetProperty("post").GetProperty("requestBody");
        var schema = body.GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal("binary", schema.GetProperty("properties").GetProperty("file").GetProperty("format").GetString());
        Assert.Equal(["file"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        var json = await _client.PostAsync("api/datasets", RealHttp.Body(Encoding.UTF8.GetBytes("{}"), "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Contains("expected Content-Type multipart/form-data", (await ProblemAsync(json)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gzip_encoded_body_is_a_400_not_a_500()
    {
        var content = RealHttp.Body(RealHttp.Multipart(Boundary, [RealHttp.FilePart("z.jsonl", TestData.BilingualJsonl(2))]), MultipartType);
        content.Headers.ContentEncoding.Add("gzip");
        var response = await _client.PostAsync("api/datasets", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Content-Encoding: gzip", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_without_its_closing_boundary_is_a_400_naming_the_boundary()
    {
        var body = RealHttp.Multipart(Boundary, [RealHttp.FilePart("t.jsonl", TestData.BilingualJsonl(2))], close: false);
        var response = await PostAsync(body[..^10]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"closing boundary \"--{Boundary}--\"", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await _http.AssertNothingLeftBehindAsync("after a truncated body");
    }

    [Fact]
    public async Task The_file_streams_to_the_temp_folder_and_is_removed_when_the_client_goes_away()
    {
        // A raw socket: the body announces 60 KB, sends half, waits until the server has written the part to disk, then vanishes.
        var head = Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gone.jsonl\"\r\n\r\n");
        var half = Encoding.UTF8.GetBytes(TestData.BilingualJsonl(600))[..30_000];
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(_http.BaseAddress.Host, _http.BaseAddress.Port);
            var stream = socket.GetStream();
            var request = $"POST /api/datasets HTTP/1.1\r\nHost: {_http.BaseAddress.Authority}\r\nAuthorization: {_client.DefaultRequestHeaders.Authorization}\r\n" +
                $"Content-Type: {MultipartType}\r\nContent-Length: 60000\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            await stream.WriteAsync(head);
            await stream.WriteAsync(half);
            await stream.FlushAsync();

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!_http.TempFiles().Any(f => Path.GetFileName(f).StartsWith("upload-", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Contains(_http.TempFiles(), f => Path.GetFileName(f).StartsWith("upload-", StringComparison.Ordinal));
            socket.Client.LingerState = new LingerOption(true, 0); // reset, as a killed client would
        }

        await _http.AssertNothingLeftBehindAsync("after the client went away mid-upload");
        Assert.Empty(await _http.DatasetRowsAsync());
        // The server is still fine afterwards.
        var ok = await PostAsync(RealHttp.Multipart(Boundary, [RealHttp.FilePart("after.jsonl", TestData.BilingualJsonl(2))]));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }
}
