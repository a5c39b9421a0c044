using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Planning.Catalogue;
using DeepSeek.Portal.Planning.Estimates;
using DeepSeek.Portal.Planning.Planner;
using DeepSeek.Portal.Platform;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// A body the API cannot read is answered with the field, the position and what was expected — for every endpoint,
/// from its declared body type — and nothing runs.
/// </summary>
public sealed class MalformedBodyTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _manager = default!;

    public async Task InitializeAsync() => _manager = await _portal.ClientForRoleAsync(PortalRoles.Manager);

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonObject Errors)> SendAsync(HttpMethod method, string url, string body)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await _manager.SendAsync(request);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("The request body could not be read.", (string?)problem["title"]);
        Assert.Null(problem["exception"]);
        return (response.StatusCode, problem["errors"]!.AsObject());
    }

    [Fact]
    public async Task Wrong_values_name_their_field_position_and_what_was_expected()
    {
        var (status, errors) = await SendAsync(HttpMethod.Post, "/api/planner/plan",
            """{"modelId":"deepseek-v3","precision":"int3","contextLength":4096,"concurrentSequences":1,"mode":"inference","gpuId":"h200"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = (string)errors["precision"]![0]!;
        Assert.StartsWith("line 1, byte ", message, StringComparison.Ordinal);
        Assert.EndsWith("expected one of Fp32, Bf16, Fp16, Fp8, Int8, Int4.", message, StringComparison.Ordinal);

        // Nested: the training bundle's plan.
        (status, errors) = await SendAsync(HttpMethod.Post, "/api/planner/training-bundle", "{\n  \"plan\": {\"contextLength\": \"long\"}\n}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("line 2, byte ", (string)errors["plan.contextLength"]![0]!, StringComparison.Ordinal);
        Assert.Contains("expected a whole number", (string)errors["plan.contextLength"]![0]!, StringComparison.Ordinal);

        var roadmap = JsonNode.Parse(await _manager.GetStringAsync("/api/roadmap"))!;
        var milestone = roadmap["milestones"]![0]!;
        (status, errors) = await SendAsync(HttpMethod.Put, $"/api/roadmap/milestones/{(int)milestone["id"]!}",
            """{"phaseId":1,"title":"x","owner":"x","start":"2026-13-01","end":"2027-01-01"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("expected a date such as \"2026-12-31\"", (string)errors["start"]![0]!, StringComparison.Ordinal);
        // Nothing was changed.
        var after = JsonNode.Parse(await _manager.GetStringAsync("/api/roadmap"))!["milestones"]![0]!;
        Assert.Equal((string?)milestone["start"], (string?)after["start"]);
        Assert.Equal((int)milestone["version"]!, (int)after["version"]!);
    }

    [Fact]
    public async Task Broken_JSON_says_where_it_breaks()
    {
        var (status, errors) = await SendAsync(HttpMethod.Post, "/api/planner/plan", "{\"modelId\": \"deepseek-v3\",\n \"precision\": bf16}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var (field, messages) = Assert.Single(errors);
        Assert.Equal("precision", field);
        Assert.Matches(@"^line 2, byte \d+: not valid JSON — ", (string)messages![0]!);
        Assert.DoesNotContain("LineNumber", (string)messages[0]!, StringComparison.Ordinal);

        (status, errors) = await SendAsync(HttpMethod.Post, "/api/planner/plan", "[]");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("expected an object", (string)errors["body"]![0]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("$.plan.contextLength", typeof(TrainingBundleRequest), typeof(int))]
    [InlineData("$.plan.precision", typeof(TrainingBundleRequest), typeof(Precision))]
    [InlineData("$.nothing", typeof(PlanRequest), null)]
    public void The_path_is_walked_through_the_body_type(string path, Type root, Type? expected) =>
        Assert.Equal(expected, MalformedBodies.Walk(root, path));

    [Theory]
    [InlineData("$", "body")]
    [InlineData("$.plan.contextLength", "plan.contextLength")]
    [InlineData("$.items[2].text", "items[2].text")]
    public void Paths_become_field_names(string path, string field) => Assert.Equal(field, MalformedBodies.FieldName(path));
}
