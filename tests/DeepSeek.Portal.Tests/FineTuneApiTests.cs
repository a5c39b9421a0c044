using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Models.Generation;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>Fine-tuning a registered model and saving a run as a model, over real HTTP (Kestrel on 127.0.0.1).</summary>
public sealed class FineTuneApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly PortalFactory _portal = new();
    private RealHttp _http = default!;
    private HttpClient _engineer = default!;

    public async Task InitializeAsync()
    {
        // A configured root of its own: the portal's models folder must stay allowed beside it.
        _portal.Settings["Portal:Models:Roots:0"] = Path.Combine(_portal.DataDirectory, "shared-models");
        _http = RealHttp.Start(_portal);
        _engineer = await _http.EngineerAsync();
    }

    public async Task DisposeAsync()
    {
        _engineer.Dispose();
        await _portal.DisposeAsync();
    }

    private async Task<ModelSummary> RegisterQwenAsync()
    {
        var folder = Path.Combine(_portal.DataDirectory, "shared-models", "qwen-tiny");
        TinyModelFolders.Write(folder, TinyModelFolders.TinyQwen2(), seed: 5);
        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest(folder, "qwen-tiny"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ModelSummary>())!;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    [Fact]
    public async Task A_registered_model_is_fine_tuned_saved_as_a_model_listed_and_generating()
    {
        var baseModel = await RegisterQwenAsync();
        var dataset = await TestData.UploadDatasetAsync(_engineer, "tune");
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = dataset.Id, BaseModelId = baseModel.Id, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1, SequenceLength = 32, CheckpointEvery = 2,
        });
        Assert.True(launch.StatusCode == HttpStatusCode.Created, await launch.Content.ReadAsStringAsync());
        var run = (await launch.Content.ReadFromJsonAsync<RunSummary>(Json))!;
        Assert.Equal(new RunBaseModel(baseModel.Id, "qwen-tiny", baseModel.Path), run.BaseModel);

        var done = await TestData.WaitForRunAsync(_engineer, run.Id, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        // The base model's architecture was trained (Qwen2, 2 layers of width 32), not the demo model.
        Assert.Equal(baseModel.Card.Parameters, done.ParameterCount);

        // Not before it has a unique, non-empty name.
        var (status, problem) = await ReadAsync(await _engineer.PostAsJsonAsync($"/api/runs/{run.Id}/export", new RunExportRequest("  ")));
        Assert.Equal((HttpStatusCode.BadRequest, RunModelExport.NameRequired), (status, problem.GetProperty("code").GetString()));
        (status, problem) = await ReadAsync(await _engineer.PostAsJsonAsync($"/api/runs/{run.Id}/export", new RunExportRequest("qwen-tiny")));
        Assert.Equal((HttpStatusCode.Conflict, RunModelExport.NameTaken), (status, problem.GetProperty("code").GetString()));

        var export = await _engineer.PostAsJsonAsync($"/api/runs/{run.Id}/export", new RunExportRequest("qwen-tiny tuned"));
        Assert.True(export.StatusCode == HttpStatusCode.Created, await export.Content.ReadAsStringAsync());
        var model = (await export.Content.ReadFromJsonAsync<ModelSummary>(Json))!;
        Assert.Equal($"/api/models/{model.Id}", export.Headers.Location!.OriginalString);
        Assert.StartsWith(Path.Combine(_portal.DataDirectory, "models") + Path.DirectorySeparatorChar, model.Path);
        Assert.Equal(("Qwen2", baseModel.Card.Parameters, true), (model.Card.Family, model.Card.Parameters, model.Card.TokenizerPresent));
        Assert.Contains((await _engineer.GetFromJsonAsync<List<ModelSummary>>("/api/models", Json))!, m => m.Id == model.Id && m.Name == "qwen-tiny tuned");
        // The weights are the trained ones, under the plain HF names the base has.
        using (var trained = Engine.Checkpoints.SafeTensorsCheckpoint.Open(model.Path))
        using (var original = Engine.Checkpoints.SafeTensorsCheckpoint.Open(baseModel.Path))
            Assert.Equal(original.TensorNames.Order(), trained.TensorNames.Order());

        // The new model generates, as the engine does from its folder.
        var prompt = TinyModelFolders.SharedTokenizer.Encode("Hello", addBos: true).Select(i => (long)i).ToList();
        var expected = await DirectGeneration.RunAsync(model.Path, prompt, new Engine.Generation.SamplingOptions { Temperature = 0, MaxNewTokens = 4 });
        var generation = await _engineer.PostAsJsonAsync($"/api/models/{model.Id}/generate", new GenerateRequest(Prompt: "Hello", Temperature: 0, MaxNewTokens: 4));
        Assert.Equal(HttpStatusCode.OK, generation.StatusCode);
        var events = (await generation.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonSerializer.Deserialize<GenerationEvent>(line, Json)!).ToList();
        Assert.Equal(expected.TokenIds, Assert.Single(events, e => e.Type == "done").TokenIds);
    }

    [Fact]
    public async Task Launch_and_export_requests_that_cannot_work_get_field_specific_errors()
    {
        var baseModel = await RegisterQwenAsync();
        var dataset = await TestData.UploadDatasetAsync(_engineer, "errors");
        async Task<JsonElement> ErrorsAsync(RunLaunchRequest request)
        {
            var (status, body) = await ReadAsync(await _engineer.PostAsJsonAsync("/api/runs", request));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            return body.GetProperty("errors");
        }
        var valid = new RunLaunchRequest { DatasetId = dataset.Id, BaseModelId = baseModel.Id, Steps = 2, MicroBatchSize = 2, GradientAccumulationSteps = 1, SequenceLength = 32 };
        Assert.Contains("999", (await ErrorsAsync(valid with { BaseModelId = 999 })).GetProperty("baseModelId")[0].GetString());
        Assert.Contains("own tokenizer", (await ErrorsAsync(valid with { TokenizerVocabSize = 512 })).GetProperty("tokenizerVocabSize")[0].GetString());
        Assert.Contains("256", (await ErrorsAsync(valid with { SequenceLength = 300 })).GetProperty("sequenceLength")[0].GetString());

        // LoRA targets are the registered model's own layers (Qwen2: q/k/v/o, gate/up/down), not the demo model's.
        var targets = (await _engineer.GetFromJsonAsync<List<RunLoraTargetChoice>>($"/api/runs/lora-targets?baseModelId={baseModel.Id}", Json))!;
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], targets.Where(t => t.IsDefault).Select(t => t.Name));
        Assert.Contains(targets, t => t.Name == "down_proj" && t.Layers == 2 && !t.InAttention);
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.GetAsync("/api/runs/lora-targets?baseModelId=999")).StatusCode);
        var demoOnly = await ErrorsAsync(valid with { Lora = new RunLoraRequest { TargetModules = ["kv_a_proj_with_mqa"] } });
        Assert.Contains("'kv_a_proj_with_mqa'", demoOnly.GetProperty("lora.targetModules")[0].GetString());
        Assert.Contains("k_proj", demoOnly.GetProperty("lora.targetModules")[0].GetString());
        // A folder that lost its tokenizer after registration.
        File.Delete(Path.Combine(baseModel.Path, "tokenizer.json"));
        Assert.Contains("tokenizer.json", (await ErrorsAsync(valid)).GetProperty("baseModelId")[0].GetString());
        Assert.Empty(await _engineer.GetFromJsonAsync<List<RunSummary>>("/api/runs", Json) ?? []);

        // Export: unknown run, a run still running, and a reader.
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.PostAsJsonAsync("/api/runs/999/export", new RunExportRequest("x"))).StatusCode);
        int running;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var row = TestData.StoredRun("busy", RunStatus.Running);
            row.DatasetId = dataset.Id;
            db.Runs.Add(row);
            await db.SaveChangesAsync();
            running = row.Id;
        }
        var (status, problem) = await ReadAsync(await _engineer.PostAsJsonAsync($"/api/runs/{running}/export", new RunExportRequest("busy model")));
        Assert.Equal((HttpStatusCode.Conflict, RunModelExport.RunNotFinished), (status, problem.GetProperty("code").GetString()));
        const string email = "stakeholder@http.local";
        await using (var scope = _portal.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<AccountService>().CreateUserAsync(email, PortalFactory.Password, PortalRoles.Stakeholder)).Succeeded);
        using var stakeholder = new HttpClient { BaseAddress = _http.BaseAddress };
        stakeholder.DefaultRequestHeaders.Authorization = new("Bearer", await PortalFactory.TokenAsync(stakeholder, email));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync($"/api/runs/{running}/export", new RunExportRequest("x"))).StatusCode);
        Assert.Single(await _engineer.GetFromJsonAsync<List<ModelSummary>>("/api/models", Json) ?? []);
    }

    [Fact]
    public async Task A_lora_run_is_tried_with_its_adapter_and_saved_as_a_merged_model_under_plain_names()
    {
        var baseModel = await RegisterQwenAsync();
        var dataset = await TestData.UploadDatasetAsync(_engineer, "lora");
        // A LoRA fine-tune of the registered model through REST, the targets named by the model's own layers.
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = dataset.Id, BaseModelId = baseModel.Id, Steps = 2, MicroBatchSize = 2, GradientAccumulationSteps = 1, WarmupSteps = 1,
            SequenceLength = 32, LearningRate = 5e-2,
            Lora = new RunLoraRequest { R = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"] },
        });
        Assert.True(launch.StatusCode == HttpStatusCode.Created, await launch.Content.ReadAsStringAsync());
        var runId = (await launch.Content.ReadFromJsonAsync<RunSummary>(Json))!.Id;
        var done = await TestData.WaitForRunAsync(_engineer, runId, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        Assert.Equal((2, 4.0), (done.Settings.Lora!.R, done.Settings.Lora.LoraAlpha));
        Assert.Equal(["q_proj", "v_proj"], done.Settings.Lora.TargetModules);

        async Task<List<long>> GreedyAsync(string url)
        {
            var response = await _engineer.PostAsJsonAsync(url, new GenerateRequest(Prompt: "Hello", Temperature: 0, MaxNewTokens: 5));
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var events = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonSerializer.Deserialize<GenerationEvent>(line, Json)!).ToList();
            return [.. Assert.Single(events, e => e.Type == "done").TokenIds!];
        }
        // "Try the run" reads the checkpoint with its adapter merged in.
        var fromRun = await GreedyAsync($"/api/runs/{runId}/generate");

        var export = await _engineer.PostAsJsonAsync($"/api/runs/{runId}/export", new RunExportRequest("qwen-tiny lora"));
        Assert.True(export.StatusCode == HttpStatusCode.Created, await export.Content.ReadAsStringAsync());
        var model = (await export.Content.ReadFromJsonAsync<ModelSummary>(Json))!;
        // No lora_A / lora_B (or anything else) beside the base model's own tensors.
        Assert.Equal(baseModel.Card.Parameters, model.Card.Parameters);
        using (var merged = Engine.Checkpoints.SafeTensorsCheckpoint.Open(model.Path))
        using (var original = Engine.Checkpoints.SafeTensorsCheckpoint.Open(baseModel.Path))
            Assert.Equal(original.TensorNames.Order(), merged.TensorNames.Order());
        Assert.Equal(fromRun, await GreedyAsync($"/api/models/{model.Id}/generate"));
    }
}
