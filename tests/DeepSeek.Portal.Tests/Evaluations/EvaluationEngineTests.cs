using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Checkpoints;
using DeepSeek.Portal.Engine.Generation;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluation.Suites;
using DeepSeek.Portal.Evaluations;
using DeepSeek.Portal.Evaluations.Suites;
using DeepSeek.Portal.Evaluations.Targets;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Generation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DeepSeek.Portal.Tests.Evaluations;

/// <summary>The built-in engine as an evaluation target (a tiny registered model), and the evaluation job through Quartz.</summary>
public sealed class EvaluationEngineTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    private string Root => Path.Combine(_portal.DataDirectory, "models");

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);

    public async Task DisposeAsync()
    {
        _engineer.Dispose();
        await _portal.DisposeAsync();
    }

    private async Task<(int Id, string Folder)> RegisterAsync(string name, bool tokenizer = true)
    {
        var folder = Path.Combine(Root, name);
        TinyModelFolders.Write(folder, TinyModelFolders.TinyV2Moe(), tokenizer: tokenizer, seed: 5);
        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest(name));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return ((await response.Content.ReadFromJsonAsync<ModelSummary>(Json))!.Id, folder);
    }

    private async Task<EngineTarget> OpenAsync(int modelId)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var source = await scope.ServiceProvider.GetRequiredService<GenerationSources>().ForModelAsync(modelId, CancellationToken.None);
        return await EngineTarget.OpenAsync(source!, "tiny", NullLogger.Instance, CancellationToken.None);
    }

    [Fact]
    public async Task The_engine_target_generates_greedily_like_the_engine_and_scores_log_likelihood_like_its_loss()
    {
        var (id, folder) = await RegisterAsync("tiny-eval");
        using var target = await OpenAsync(id);
        Assert.True(target.Capabilities.LogLikelihood);
        Assert.StartsWith("engine:model:", target.CacheIdentity);

        var tokenizer = TinyModelFolders.SharedTokenizer;
        var prompt = tokenizer.Encode("Hello world", addBos: true).Select(i => (long)i).ToList();
        var expected = await DirectGeneration.RunAsync(folder, prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 6 });
        var output = await target.GenerateAsync(new GenerationCall { Prompt = "Hello world", MaxNewTokens = 6 }, CancellationToken.None);
        Assert.Equal(expected.Text, output.Text);
        Assert.Equal(prompt.Count, output.PromptTokens);
        Assert.Equal(expected.TokenIds.Count, output.CompletionTokens);

        // Log-likelihood against the engine's own cross-entropy over the same tokens (context positions ignored).
        const string context = "The bank opens at", continuation = " nine in the morning";
        var ll = await target.LogLikelihoodAsync(context, continuation, CancellationToken.None);
        var contextIds = tokenizer.Encode(context, addBos: true).Select(i => (long)i).ToList();
        var continuationIds = tokenizer.Encode(continuation).Select(i => (long)i).ToList();
        Assert.Equal(continuationIds.Count, ll.Tokens);
        var all = contextIds.Concat(continuationIds).ToArray();
        var labels = all.Skip(1).Select((t, i) => i + 1 >= contextIds.Count ? t : CausalLM.IgnoreIndex).Append(CausalLM.IgnoreIndex).ToArray();
        double meanNll = Engine.Devices.EngineDevice.OnShortLivedThread("test-loss", () =>
        {
            using var model = CausalLM.Create(ModelConfig.FromJson(File.ReadAllText(Path.Combine(folder, "config.json"))));
            CheckpointLoader.LoadInto(model, folder);
            model.eval();
            using var noGrad = no_grad();
            using var input = tensor(all).reshape(1, all.Length);
            using var target2 = tensor(labels).reshape(1, labels.Length);
            return model.Forward(input, target2).Loss!.item<float>();
        });
        Assert.True(ll.LogProbability < 0);
        Assert.Equal(-meanNll * continuationIds.Count, ll.LogProbability, 3);

        // The greedy continuation is greedy by the target's own account.
        var greedy = await target.LogLikelihoodAsync("Hello world", expected.Text!, CancellationToken.None);
        if (tokenizer.Encode(expected.Text!).Select(i => (long)i).SequenceEqual(expected.TokenIds.Where(t => t != tokenizer.EosId)))
            Assert.True(greedy.IsGreedy);

        // Conversation turns without a chat template are joined as text.
        var chat = await target.GenerateAsync(new GenerationCall { Messages = [new ChatTurn("user", "Hi")], MaxNewTokens = 3 }, CancellationToken.None);
        Assert.True(chat.CompletionTokens is > 0 and <= 3);
    }

    [Fact]
    public async Task An_evaluation_whose_model_cannot_be_used_fails_and_says_why()
    {
        var (id, _) = await RegisterAsync("no-tokenizer", tokenizer: false);
        var suite = await UploadSuiteAsync("engine-suite-fail");
        var launch = await _engineer.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = suite.VersionId, target = new { kind = "model", id }, maxNewTokens = 4, concurrency = 1 });
        Assert.True(launch.StatusCode == HttpStatusCode.Accepted, await launch.Content.ReadAsStringAsync());
        var queued = (await launch.Content.ReadFromJsonAsync<EvaluationSummary>(Json))!;
        Assert.Equal(4, queued.ItemsTotal);

        var finished = await WaitAsync(queued.Id, e => !e.Evaluation.IsActive);
        Assert.Equal(EvaluationStatus.Failed, finished.Evaluation.Status);
        Assert.Contains("tokenizer.json", finished.Evaluation.Error);
        Assert.Empty(finished.Figures);
        Assert.Equal(HttpStatusCode.NoContent, (await _engineer.DeleteAsync($"/api/evaluations/{queued.Id}")).StatusCode);
    }

    /// <summary>
    /// End to end through Quartz: a tiny model, four items of every kind, stored items, figures and the final status.
    /// Needs the runner (<see cref="SuiteRunner"/>) and the scoring (<c>EvaluationScoring</c>) of the eval-runner and
    /// eval-metrics branches: on this branch both are stubs.
    /// </summary>
    [Fact]
    public async Task An_engine_evaluation_runs_every_item_stores_them_and_its_figures()
    {
        var (id, _) = await RegisterAsync("tiny-e2e");
        var suite = await UploadSuiteAsync("engine-suite-e2e");
        var launch = await _engineer.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = suite.VersionId, target = new { kind = "model", id }, maxNewTokens = 4, concurrency = 2 });
        Assert.Equal(HttpStatusCode.Accepted, launch.StatusCode);
        var queued = (await launch.Content.ReadFromJsonAsync<EvaluationSummary>(Json))!;

        var finished = await WaitAsync(queued.Id, e => !e.Evaluation.IsActive);
        Assert.True(finished.Evaluation.Status == EvaluationStatus.Succeeded, finished.Evaluation.Error);
        Assert.Equal((4, 4, 0), (finished.Evaluation.ItemsTotal, finished.Evaluation.ItemsDone, finished.Evaluation.ItemsFailed));
        Assert.Contains(finished.Figures, f => f.Metric == "ppl" && f.Scope == "all" && f.Value > 1);
        Assert.Contains(finished.Figures, f => f.Metric == "accuracy");

        var items = await _engineer.GetFromJsonAsync<EvaluationItemPage>($"/api/evaluations/{queued.Id}/items", Json);
        Assert.Equal(4, items!.Total);
        Assert.All(items.Items, i => Assert.Null(i.Error));
        var adversarial = await _engineer.GetFromJsonAsync<EvaluationItemPage>($"/api/evaluations/{queued.Id}/items?slice=adversarial", Json);
        Assert.Equal("c1", adversarial!.Items.Single().ItemId);
        Assert.Equal(["yes"], adversarial.Items.Single().References);

        // A second run of the same suite against the same model comes from the cache.
        var again = (await (await _engineer.PostAsJsonAsync("/api/evaluations", new { suiteVersionId = suite.VersionId, target = new { kind = "model", id }, maxNewTokens = 4 }))
            .Content.ReadFromJsonAsync<EvaluationSummary>(Json))!;
        var cached = await WaitAsync(again.Id, e => !e.Evaluation.IsActive);
        Assert.Equal(4, cached.Evaluation.ItemsCached);
    }

    private async Task<SuiteUploaded> UploadSuiteAsync(string name)
    {
        var response = await _engineer.PostAsync("/api/evaluation-suites", TestData.Upload($"{name}.jsonl", EvaluationApiTests.GoodSuite, name));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SuiteUploaded>(Json))!;
    }

    private async Task<EvaluationDetail> WaitAsync(int id, Func<EvaluationDetail, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        EvaluationDetail? detail = null;
        while (DateTime.UtcNow < deadline)
        {
            detail = await _engineer.GetFromJsonAsync<EvaluationDetail>($"/api/evaluations/{id}", Json);
            if (condition(detail!))
                return detail!;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Evaluation {id} did not get there: {JsonSerializer.Serialize(detail)}");
    }
}

/// <summary>What survives a restart: an evaluation left Running is queued again and its job runs.</summary>
public sealed class EvaluationRestartTests
{
    [Fact]
    public async Task An_evaluation_left_running_by_a_restart_runs_again_and_feedback_figures_come_from_the_target_label()
    {
        var dir = PortalFactory.NewDataDirectory();
        try
        {
            int evaluationId;
            await using (var first = new PortalFactory(dir))
            {
                var engineer = await first.ClientForRoleAsync(PortalRoles.Engineer);
                var folder = Path.Combine(dir, "models", "no-tokenizer");
                TinyModelFolders.Write(folder, TinyModelFolders.TinyV2Moe(), tokenizer: false);
                var model = await (await engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("no-tokenizer"))).Content.ReadFromJsonAsync<ModelSummary>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
                var suite = await (await engineer.PostAsync("/api/evaluation-suites", TestData.Upload("restart.jsonl", EvaluationApiTests.GoodSuite, "restart")))
                    .Content.ReadFromJsonAsync<SuiteUploaded>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
                await using var scope = first.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
                // As a crash leaves it: Running, no job in the scheduler.
                var row = new EvaluationRun
                {
                    Name = "interrupted", SuiteVersionId = suite!.VersionId, TargetKind = EvaluationTargetKind.Model, TargetModelId = model!.Id, TargetLabel = "bank-bot",
                    Settings = new EvaluationSettings().ToJson(), Status = EvaluationStatus.Running, ItemsTotal = 4, CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow,
                };
                db.Evaluations.Add(row);
                db.Feedback.AddRange(
                    new FeedbackRecord { ModelLabel = "bank-bot", Score = 10, TaskCompleted = true, RecordedAt = DateTimeOffset.UtcNow, Source = "t:2" },
                    new FeedbackRecord { ModelLabel = "bank-bot", Score = 2, TaskCompleted = false, RecordedAt = DateTimeOffset.UtcNow, Source = "t:3" },
                    new FeedbackRecord { ModelLabel = "other", Score = 0, RecordedAt = DateTimeOffset.UtcNow, Source = "t:4" });
                await db.SaveChangesAsync();
                evaluationId = row.Id;

                var figures = await EvaluationJob.FeedbackFiguresAsync(db, "bank-bot", CancellationToken.None);
                Assert.Equal(0, figures.Single(f => f.Metric == "nps").Value, 9); // one promoter, one detractor
                Assert.Equal(50, figures.Single(f => f.Metric == "tcr").Value, 9);
                Assert.All(figures, f => Assert.Equal((EvaluationJob.FeedbackScope, 2, 3), (f.Scope, f.Count, f.Tier)));
                Assert.Empty(await EvaluationJob.FeedbackFiguresAsync(db, "nobody", CancellationToken.None));
            }

            await using var second = new PortalFactory(dir);
            var reader = await second.ClientForRoleAsync(PortalRoles.Stakeholder);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            EvaluationDetail? detail;
            do
            {
                await Task.Delay(200);
                detail = await reader.GetFromJsonAsync<EvaluationDetail>($"/api/evaluations/{evaluationId}", new JsonSerializerOptions(JsonSerializerDefaults.Web));
            }
            while (detail!.Evaluation.IsActive && DateTime.UtcNow < deadline);
            // The job ran again: this model has no tokenizer, so it fails and says so (before the restart it said nothing).
            Assert.Equal(EvaluationStatus.Failed, detail.Evaluation.Status);
            Assert.Contains("tokenizer.json", detail.Evaluation.Error);
        }
        finally
        {
            PortalFactory.DeleteDataDirectory(dir);
        }
    }
}
