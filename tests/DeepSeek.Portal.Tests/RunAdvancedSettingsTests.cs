using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Devices;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace DeepSeek.Portal.Tests;

/// <summary>fp16 loss scaling, activation checkpointing and LoRA through the API; the engine's measurements at /api/engine; a run's peak memory.</summary>
public sealed class RunAdvancedSettingsTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    // Each case: the request's advanced part as JSON, and the field the problem must name.
    [Theory]
    [InlineData("""{"precision":"fp32","initialLossScale":1024}""", "initialLossScale")]
    [InlineData("""{"precision":"bf16","lossScaleGrowthInterval":100}""", "lossScaleGrowthInterval")]
    [InlineData("""{"precision":"fp16","initialLossScale":0.5}""", "initialLossScale")]
    [InlineData("""{"precision":"fp16","lossScaleGrowthInterval":0}""", "lossScaleGrowthInterval")]
    [InlineData("""{"lora":{"r":0}}""", "lora.r")]
    [InlineData("""{"lora":{"alpha":-1}}""", "lora.alpha")]
    [InlineData("""{"lora":{"dropout":1}}""", "lora.dropout")]
    [InlineData("""{"activationCheckpointing":true,"lora":{"dropout":0.1}}""", "lora.dropout")]
    [InlineData("""{"lora":{"targetModules":["v_proj"]}}""", "lora.targetModules")]
    [InlineData("""{"lora":{"targetModules":[]}}""", "lora.targetModules")]
    public async Task Invalid_advanced_settings_are_refused_with_the_field_and_nothing_is_queued(string advanced, string field)
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "advanced-" + field.Replace('.', '-'), records: 5);
        var body = JsonNode.Parse(advanced)!.AsObject();
        body["datasetId"] = dataset.Id;
        var response = await _engineer.PostAsJsonAsync("/api/runs", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), problem.RootElement.ToString());
        Assert.True(messages.GetArrayLength() > 0);
        Assert.Single(errors.EnumerateObject());
        Assert.Empty((await _engineer.GetFromJsonAsync<List<RunSummary>>("/api/runs"))!);
        var scheduler = await _portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.Empty((await scheduler.QueryJobs(new JobQuery())).Items);
    }

    [Fact]
    public async Task Lora_with_dropout_and_checkpointing_explains_the_combination()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "combination", records: 5);
        var response = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = dataset.Id, ActivationCheckpointing = true, Lora = new RunLoraRequest { Dropout = 0.05 },
        });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("lora.dropout")[0].GetString();
        Assert.Contains("activation checkpointing", message, StringComparison.Ordinal);
        Assert.Contains("dropout masks", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fp16_lora_run_with_checkpointing_stores_and_returns_its_settings_exactly_and_records_its_peak_memory()
    {
        var dataset = await TestData.UploadDatasetAsync(_engineer, "fp16-lora", records: 40);
        var launch = await _engineer.PostAsJsonAsync("/api/runs", new RunLaunchRequest
        {
            DatasetId = dataset.Id, Steps = 3, MicroBatchSize = 2, GradientAccumulationSteps = 1, SequenceLength = 32,
            Precision = "FP16", InitialLossScale = 1024, LossScaleGrowthInterval = 7, ActivationCheckpointing = true,
            Lora = new RunLoraRequest { R = 4, Alpha = 16, Dropout = 0, TargetModules = ["q_proj", "o_proj"], UseRsLora = true },
        });
        Assert.Equal(HttpStatusCode.Created, launch.StatusCode);
        var queued = (await launch.Content.ReadFromJsonAsync<RunSummary>())!;
        AssertAdvanced(queued.Settings);

        var done = await TestData.WaitForRunAsync(_engineer, queued.Id, r => !r.IsActive);
        Assert.True(done.Status == RunStatus.Succeeded, done.Error);
        AssertAdvanced(done.Settings);
        // The stored row reads back the same (format 2 keeps every field).
        using (var scope = _portal.Services.CreateScope())
        {
            var row = (await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Runs.FindAsync(queued.Id))!;
            AssertAdvanced(row.ToOptions());
            Assert.Equal(done.PeakMemoryBytes, row.PeakMemoryBytes);
        }
        // The portal process holds at least the runtime and libtorch: tens of megabytes at the very least.
        Assert.True(done.PeakMemoryBytes > 32L << 20, $"peak memory {done.PeakMemoryBytes}");

        static void AssertAdvanced(TrainingOptions o)
        {
            Assert.Equal(TrainingPrecision.Fp16, o.Precision);
            Assert.Equal(1024, o.InitialLossScale);
            Assert.Equal(7, o.LossScaleGrowthInterval);
            Assert.True(o.ActivationCheckpointing);
            var lora = Assert.IsType<Engine.Adapters.LoraConfig>(o.Lora);
            Assert.Equal(4, lora.R);
            Assert.Equal(16, lora.LoraAlpha);
            Assert.Equal(0, lora.LoraDropout);
            Assert.Equal(["q_proj", "o_proj"], lora.TargetModules);
            Assert.True(lora.UseRsLora);
        }
    }

    [Fact]
    public async Task Lora_without_targets_adapts_the_attention_projections_listed_by_the_api()
    {
        var targets = (await _engineer.GetFromJsonAsync<List<RunLoraTargetChoice>>("/api/runs/lora-targets"))!;
        Assert.Contains(targets, t => t.Name == "down_proj" && !t.IsDefault && !t.InAttention);
        var defaults = targets.Where(t => t.IsDefault).Select(t => t.Name).ToList();
        Assert.Contains("q_proj", defaults);
        Assert.Contains("o_proj", defaults);

        var options = RunService.ToOptions(new RunLaunchRequest { DatasetId = 1, Lora = new RunLoraRequest() });
        Assert.Equal(defaults, options.Lora!.TargetModules);
        Assert.Equal(8, options.Lora.R);
        Assert.Empty(RunService.ValidateSettings(new RunLaunchRequest { DatasetId = 1, Lora = new RunLoraRequest() }));
        Assert.Null(RunService.ToOptions(new RunLaunchRequest { DatasetId = 1 }).Lora);
    }

    [Fact]
    public async Task Engine_reports_the_measured_thread_rates_the_chosen_count_and_each_precisions_ratio_to_fp32()
    {
        var engine = await _engineer.GetFromJsonAsync<JsonElement>("/api/engine");

        var rates = engine.GetProperty("threadRates").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, Environment.ProcessorCount), rates.Select(r => r.GetProperty("threads").GetInt32()));
        Assert.All(rates, r => Assert.True(r.GetProperty("gflops").GetDouble() > 0));
        int threads = engine.GetProperty("threads").GetInt32();
        var measured = rates.Select(r => new ThreadRate(r.GetProperty("threads").GetInt32(), r.GetProperty("gflops").GetDouble(), r.GetProperty("slowestGflops").GetDouble())).ToList();
        if (engine.GetProperty("threadSource").GetString() == EngineDevice.MeasuredSource)
            Assert.Equal(EngineCalibration.ChooseThreads(measured), threads);
        Assert.False(string.IsNullOrWhiteSpace(engine.GetProperty("threadReason").GetString()));

        var precisions = engine.GetProperty("precisionRates").EnumerateArray().ToDictionary(p => p.GetProperty("precision").GetString()!, p => p.GetProperty("ratioToFp32").GetDouble());
        Assert.Equal(["fp32", "bf16", "fp16"], precisions.Keys);
        Assert.Equal(1.0, precisions["fp32"]);
        Assert.True(precisions["bf16"] > 0);
    }
}

public sealed class RunAdvancedSettingsOpenApiTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task The_openapi_document_explains_every_advanced_field_and_lists_the_lora_targets_endpoint()
    {
        var client = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        var launch = schemas.GetProperty("RunLaunchRequest").GetProperty("properties");
        foreach (var field in new[] { "precision", "initialLossScale", "lossScaleGrowthInterval", "activationCheckpointing", "lora" })
            Assert.False(string.IsNullOrWhiteSpace(Description(launch.GetProperty(field))), field);
        Assert.Contains("fp16", Description(launch.GetProperty("precision")), StringComparison.Ordinal);
        var lora = schemas.GetProperty("RunLoraRequest").GetProperty("properties");
        foreach (var field in new[] { "r", "alpha", "dropout", "targetModules", "useRsLora" })
            Assert.False(string.IsNullOrWhiteSpace(Description(lora.GetProperty(field))), field);
        Assert.True(doc.RootElement.GetProperty("paths").TryGetProperty("/api/runs/lora-targets", out _));
    }

    // A nullable object property carries its description on the reference inside "oneOf".
    private static string? Description(JsonElement property) =>
        property.TryGetProperty("description", out var d) ? d.GetString()
        : property.TryGetProperty("oneOf", out var options) ? options.EnumerateArray().Select(o => o.TryGetProperty("description", out var od) ? od.GetString() : null).FirstOrDefault(x => x is not null)
        : null;
}
