using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Tokenization;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Generation;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>"Try the model" over real HTTP (Kestrel on 127.0.0.1): streamed NDJSON equal to the engine called directly.</summary>
public sealed class GenerationApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly PortalFactory _portal = new();
    private RealHttp _http = default!;
    private HttpClient _engineer = default!;

    private string Root => Path.Combine(_portal.DataDirectory, "models");

    public async Task InitializeAsync()
    {
        _portal.Settings["Portal:Models:MaxNewTokens"] = "3000";
        _http = RealHttp.Start(_portal);
        _engineer = await _http.EngineerAsync();
    }

    public async Task DisposeAsync()
    {
        _engineer.Dispose();
        await _portal.DisposeAsync();
    }

    private async Task<(int Id, string Folder)> RegisterV2Async(string name = "v2")
    {
        var folder = Path.Combine(Root, name);
        TinyModelFolders.Write(folder, TinyModelFolders.TinyV2Moe(), maxShardBytes: 200_000, seed: 3);
        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest(name));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<ModelSummary>())!.Id, folder);
    }

    /// <summary>POSTs and reads every NDJSON line as it arrives.</summary>
    private async Task<List<GenerationEvent>> GenerateAsync(string url, GenerateRequest request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(request) };
        using var response = await _engineer.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var events = new List<GenerationEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
            events.Add(JsonSerializer.Deserialize<GenerationEvent>(line, Json)!);
        return events;
    }

    [Fact]
    public async Task Greedy_generation_streams_the_same_ids_as_the_sequence_generator_and_respects_max_tokens()
    {
        var (id, folder) = await RegisterV2Async();
        var events = await GenerateAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "Hello world", Temperature: 0, MaxNewTokens: 7));

        Assert.Equal("start", events[0].Type);
        var prompt = TinyModelFolders.SharedTokenizer.Encode("Hello world", addBos: true).Select(i => (long)i).ToList();
        Assert.Equal(prompt, events[0].PromptTokenIds);
        var expected = await DirectGeneration.RunAsync(folder, prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 7 });

        var tokens = events.Where(e => e.Type == "token").ToList();
        var done = Assert.Single(events, e => e.Type == "done");
        Assert.Equal(expected.TokenIds, tokens.Select(t => t.TokenId!.Value));
        Assert.Equal(expected.TokenIds, done.TokenIds);
        Assert.Equal(Enumerable.Range(0, tokens.Count), tokens.Select(t => t.Index!.Value));
        Assert.True(tokens.Count <= 7);
        Assert.Equal(expected.Reason.ToString(), done.Reason);
        if (done.Reason == nameof(FinishReason.Length)) Assert.Equal(7, tokens.Count);
        Assert.Equal(expected.Text, done.Text);
        // Token texts hold back a trailing incomplete UTF-8 character (U+FFFD when decoded); "done" carries the whole text.
        var complete = done.Text!.EndsWith('\uFFFD') ? done.Text[..^1] : done.Text;
        Assert.Equal(complete, string.Concat(tokens.Select(t => t.Text)));

        var tooMany = await _engineer.PostAsJsonAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "Hello", MaxNewTokens: 3001));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        using var problem = JsonDocument.Parse(await tooMany.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("MaxNewTokens", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.PostAsJsonAsync("/api/models/999/generate", new GenerateRequest(Prompt: "x"))).StatusCode);
    }

    [Fact]
    public async Task A_stop_string_ends_the_output_and_is_never_streamed()
    {
        var (id, folder) = await RegisterV2Async();
        var free = await GenerateAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "模型读取", Temperature: 0, MaxNewTokens: 16));
        var text = Assert.Single(free, e => e.Type == "done").Text!;
        Assert.True(text.Length >= 4, $"the tiny model should produce some text, got '{text}'");
        var stop = text.Substring(text.Length / 2, 2);
        var cut = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var events = await GenerateAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "模型读取", Temperature: 0, MaxNewTokens: 16, StopStrings: [stop]));
        var done = Assert.Single(events, e => e.Type == "done");
        Assert.Equal(nameof(FinishReason.StopString), done.Reason);
        Assert.Equal(cut, done.Text);
        var streamed = string.Concat(events.Where(e => e.Type == "token").Select(e => e.Text));
        Assert.Equal(cut, streamed);
        Assert.DoesNotContain(stop, streamed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_generation_on_a_busy_model_gets_429_and_closing_the_stream_frees_the_model()
    {
        var (id, _) = await RegisterV2Async();
        var generator = _portal.Services.GetRequiredService<ModelGenerator>();
        using (var first = new HttpRequestMessage(HttpMethod.Post, $"/api/models/{id}/generate") { Content = JsonContent.Create(new GenerateRequest(Prompt: "Hello", MaxNewTokens: 3000, Temperature: 1)) })
        {
            using var response = await _engineer.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Contains("\"start\"", await reader.ReadLineAsync());

            var second = await _engineer.PostAsJsonAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "Hello", MaxNewTokens: 2));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.True(generator.IsBusy($"model:{id}"));
        }
        // The client went away: the server's request is aborted and the generation stops after its current step.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (generator.IsBusy($"model:{id}") && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(generator.IsBusy($"model:{id}"), "closing the stream should cancel the generation");
        var again = await GenerateAsync($"/api/models/{id}/generate", new GenerateRequest(Prompt: "Hello", MaxNewTokens: 2, Temperature: 0));
        Assert.Single(again, e => e.Type == "done");
    }

    [Fact]
    public async Task A_finished_run_generates_from_its_checkpoint_with_its_own_tokenizer_and_chat_messages_use_the_template()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "gen-run");
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest { DatasetId = dataset.Id, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1, SequenceLength = 32 });
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.Equal(Data.RunStatus.Succeeded, done.Status);

        var events = await GenerateAsync($"/api/runs/{run.Id}/generate", new GenerateRequest(Prompt: "The model", Temperature: 0, MaxNewTokens: 5));
        var folder = GenerationSources.LatestCheckpoint(Path.Combine(_portal.DataDirectory, "runs", run.Id.ToString()))!;
        var tokenizer = HuggingFaceTokenizer.FromJson(File.ReadAllText(Path.Combine(folder, "tokenizer.json")));
        var prompt = tokenizer.Encode("The model", addBos: true).Select(i => (long)i).ToList();
        Assert.Equal(prompt, events[0].PromptTokenIds);
        var expected = await DirectGeneration.RunAsync(folder, prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 5 });
        Assert.Equal(expected.TokenIds, Assert.Single(events, e => e.Type == "done").TokenIds);

        // The template is the one the card names for the run's tokenizer.
        var template = Enum.Parse<ChatTemplate>(ModelCardReader.Read(folder, f => f).ChatTemplate!);
        var chat = await GenerateAsync($"/api/runs/{run.Id}/generate", new GenerateRequest(Messages: [new GenerateMessage("user", "你好")], Temperature: 0, MaxNewTokens: 2));
        var rendered = ChatTemplates.RenderIds(tokenizer, template, [new ChatMessage(ChatRole.User, "你好")], addGenerationPrompt: true);
        Assert.Equal(rendered.Select(i => (long)i), chat[0].PromptTokenIds);
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.PostAsJsonAsync("/api/runs/999/generate", new GenerateRequest(Prompt: "x"))).StatusCode);
    }
}
