using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Datasets.Versions;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Models;
using DeepSeek.Portal.Planning.Planner;
using DeepSeek.Portal.Training;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests.Planning;

/// <summary>
/// The planner's REST API on the real portal: plans and their refusals by field, serving downloads, training bundles
/// with the dataset exported for LLaMA-Factory, registering a served model for evaluation, registered folders.
/// </summary>
public sealed class PlannerApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;
    private HttpClient _stakeholder = default!;

    public async Task InitializeAsync()
    {
        _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
        _stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static object V3OnH200(int? gpuCount = null, string precision = "fp8", string gpu = "h200", int context = 4096, string mode = "inference") =>
        new { modelId = "deepseek-v3", precision, contextLength = context, concurrentSequences = 16, mode, gpuId = gpu, gpuCount };

    [Fact]
    public async Task V3_in_FP8_on_H200_takes_one_node_of_eight_and_impossible_plans_are_400_on_their_fields()
    {
        // Stakeholders read and plan: nothing is stored.
        var response = await _stakeholder.PostAsJsonAsync("/api/planner/plan", V3OnH200());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plan = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        // 671e9 FP8 weights (+ BF16 embeddings) ≈ 673 GB do not fit 4 × 141 GB; six suffice, and 128 heads take a power-of-two TP of 8.
        Assert.Equal(6, (int)plan["gpusNeeded"]!);
        Assert.Equal(8, (int)plan["gpuCount"]!);
        Assert.Equal(8, (int)plan["tensorParallel"]!);
        Assert.Equal(1, (int)plan["nodes"]!);
        Assert.True((bool)plan["fits"]!);
        Assert.Contains(plan["memory"]!.AsArray(), m => (string?)m!["key"] == "kvCache" && ((string?)m["formula"])!.Contains("MLA", StringComparison.Ordinal));
        Assert.All(plan["memory"]!.AsArray(), m => Assert.False(string.IsNullOrWhiteSpace((string?)m!["formula"])));
        // Sentences come with a stable code and their values, beside the English text: 16 sequences of an MoE model.
        var moe = plan["warnings"]!.AsArray().Single(w => (string?)w!["code"] == "MoeDecodeOptimistic")!;
        Assert.StartsWith("With several sequences", (string?)moe["text"], StringComparison.Ordinal);
        Assert.Empty(moe["args"]!.AsArray());
        Assert.Null(moe["template"]);
        var kv = plan["memory"]!.AsArray().Single(m => (string?)m!["key"] == "kvCache")!;
        var kvNotes = kv["notes"]!.AsArray();
        Assert.Equal(["NoteKvPrecision", "NoteKvCopiesMla"], kvNotes.Select(n => (string?)n!["code"]));
        Assert.Equal(["Bf16"], kvNotes[0]!["args"]!.AsArray().Select(a => (string?)a));
        Assert.Equal(string.Join(" ", kvNotes.Select(n => (string?)n!["text"])), (string?)kv["note"]);

        await AssertFieldAsync(V3OnH200(context: 200_000), "contextLength", "maximum context", "ErrContextTooLong", "200,000", "DeepSeek-V3 / R1", "131,072", "131,072");
        await AssertFieldAsync(V3OnH200(gpuCount: 0), "gpuCount", "at least 1", "ErrGpuCountTooFew", "0");
        await AssertFieldAsync(V3OnH200(gpu: "ascend-910b"), "precision", "FP8", "ErrNoFp8", "Huawei Ascend 910B 64GB");
        await AssertFieldAsync(new { modelId = "deepseek-v9", precision = "bf16", contextLength = 1024, concurrentSequences = 1, mode = "inference", gpuId = "h200" }, "modelId", "deepseek-v9", "ErrUnknownModelId", "deepseek-v9");
        await AssertFieldAsync(new { modelId = "deepseek-v3", precision = "bf16", contextLength = 1024, concurrentSequences = 1, mode = "inference", gpuId = "h300" }, "gpuId", "h300", "ErrUnknownDevice", "h300");
    }

    /// <summary>A 400 with <paramref name="words"/> in the field's English error, and the same error under notes with its code and arguments.</summary>
    private async Task AssertFieldAsync(object body, string field, string words, string? code = null, params string[] args)
    {
        var response = await _engineer.PostAsJsonAsync("/api/planner/plan", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonSerializer.Deserialize<ValidationProblemDetails>(text, Json)!;
        Assert.True(problem.Errors.ContainsKey(field), $"expected an error on {field}, got {string.Join(", ", problem.Errors.Keys)}");
        Assert.Contains(words, string.Join(" ", problem.Errors[field]), StringComparison.OrdinalIgnoreCase);
        var notes = JsonNode.Parse(text)!["notes"]![field]!.AsArray();
        Assert.Equal(problem.Errors[field], notes.Select(n => (string?)n!["text"]));
        if (code is not null)
        {
            var note = notes.First(n => (string?)n!["code"] == code)!;
            Assert.Equal(args, note["args"]!.AsArray().Select(a => (string?)a));
        }
    }

    [Fact]
    public async Task Catalogue_models_have_repositories_the_gpus_end_with_this_cpu_and_the_claims_have_verdicts()
    {
        var models = (await _stakeholder.GetFromJsonAsync<List<PlannerModel>>("/api/planner/models", Json))!;
        Assert.Contains(models, m => m.Id == "deepseek-v3" && m.Repository == "deepseek-ai/DeepSeek-V3");
        Assert.All(models.Where(m => m.Source == PlannerModel.CatalogueSource), m => Assert.StartsWith("deepseek-ai/", m.Repository));

        var devices = JsonNode.Parse(await _stakeholder.GetStringAsync("/api/planner/gpus"))!;
        var cpu = devices["gpus"]!.AsArray().Last()!;
        Assert.Equal("cpu", (string?)cpu["id"]);
        Assert.True((double)cpu["memoryGB"]! > 0 && (double)cpu["bandwidthGBps"]! > 0);
        Assert.Equal("measured", (string?)devices["cpuBandwidthSource"]);
        Assert.Contains("measured", (string?)cpu["source"], StringComparison.Ordinal);

        var claims = JsonNode.Parse(await _stakeholder.GetStringAsync("/api/planner/claims"))!.AsArray();
        Assert.NotEmpty(claims);
        Assert.Contains(claims, c => (bool)c!["holds"]! == false);
        var int8 = claims.Single(c => (string?)c!["id"] == "int8-quarter")!;
        Assert.Equal("ClaimInt8QuarterComputation", (string?)int8["computation"]!["code"]);
        Assert.Contains("= 0.502 of FP16", (string?)int8["computation"]!["text"], StringComparison.Ordinal);
        Assert.Equal("ClaimInt8QuarterVerdict", (string?)int8["verdict"]!["code"]);
        Assert.Equal(["50.2", "26.9"], int8["verdict"]!["args"]!.AsArray().Select(a => (string?)a));
    }

    [Fact]
    public async Task Compose_and_Kubernetes_download_as_attachments_at_the_planned_parallel_size_and_bad_options_are_400()
    {
        var body = new { plan = V3OnH200(), engine = "sglang", options = new { servedName = "v3-fp8" } };
        var compose = await _stakeholder.PostAsJsonAsync("/api/planner/artefacts/compose", body);
        Assert.Equal(HttpStatusCode.OK, compose.StatusCode);
        Assert.Equal("attachment", compose.Content.Headers.ContentDisposition?.DispositionType);
        // The name the file's own instructions use (docker compose -f compose.yaml …).
        Assert.Equal("compose.yaml", compose.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var yaml = await compose.Content.ReadAsStringAsync();
        var lines = yaml.Split('\n').Select(l => l.Trim()).ToList();
        // The plan's TP 8 on one node, FP8 checkpoint served as it ships (no --quantization), the served name, SGLang's port.
        Assert.Equal("- \"8\"", lines[lines.IndexOf("- \"--tp\"") + 1]);
        Assert.Contains("- \"deepseek-ai/DeepSeek-V3\"", lines);
        Assert.Contains("- \"v3-fp8\"", lines);
        Assert.DoesNotContain("- \"--quantization\"", lines);
        Assert.Contains("count: 8", lines);
        Assert.Contains(lines, l => l.Contains("30000", StringComparison.Ordinal));

        var kubernetes = await _stakeholder.PostAsJsonAsync("/api/planner/artefacts/kubernetes", body);
        Assert.Equal(HttpStatusCode.OK, kubernetes.StatusCode);
        Assert.Equal("attachment", kubernetes.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("deployment.yaml", kubernetes.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var manifest = await kubernetes.Content.ReadAsStringAsync();
        Assert.Contains("nvidia.com/gpu: 8", manifest.Replace("\"", ""), StringComparison.Ordinal);
        Assert.Contains("kind: Deployment", manifest.Replace("\"", ""), StringComparison.Ordinal);

        // A 16-bit checkpoint planned in FP8 gets the engine's online FP8 flag.
        var fp8 = await _stakeholder.PostAsJsonAsync("/api/planner/artefacts/compose", new
        {
            plan = new { modelId = "r1-distill-qwen-7b", precision = "fp8", contextLength = 8192, concurrentSequences = 4, mode = "inference", gpuId = "l40s" },
            engine = "vllm",
        });
        var fp8Lines = (await fp8.Content.ReadAsStringAsync()).Split('\n').Select(l => l.Trim()).ToList();
        Assert.Equal("- \"fp8\"", fp8Lines[fp8Lines.IndexOf("- \"--quantization\"") + 1]);

        var bad = await _engineer.PostAsJsonAsync("/api/planner/artefacts/compose", new { plan = V3OnH200(context: 200_000), engine = "vllm", options = new { servedName = "Not A Label" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = (await bad.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        Assert.Contains("plan.contextLength", problem.Errors.Keys);
        var badName = await _engineer.PostAsJsonAsync("/api/planner/artefacts/compose", new { plan = V3OnH200(), engine = "vllm", options = new { servedName = "Not A Label" } });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        var badNameBody = JsonNode.Parse(await badName.Content.ReadAsStringAsync())!;
        Assert.NotNull(badNameBody["errors"]!["options.servedName"]);
        // The deployment library's check, with its code: the served name and the limit as arguments.
        var nameNote = badNameBody["notes"]!["options.servedName"]!.AsArray().Single()!;
        Assert.Equal("SpecNameInvalid", (string?)nameNote["code"]);
        Assert.Equal(["ServedName", "40", "Not A Label"], nameNote["args"]!.AsArray().Select(a => (string?)a));
    }

    [Fact]
    public async Task A_registered_folder_is_listed_and_planned_and_one_whose_config_breaks_is_listed_with_the_problem()
    {
        var root = Path.Combine(_portal.DataDirectory, "models");
        TinyModelFolders.Write(Path.Combine(root, "qwen"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        TinyModelFolders.Write(Path.Combine(root, "broken"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        var good = (await (await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("qwen", "Tiny Qwen"))).Content.ReadFromJsonAsync<ModelSummary>())!;
        var broken = (await (await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("broken"))).Content.ReadFromJsonAsync<ModelSummary>())!;
        await File.WriteAllTextAsync(Path.Combine(broken.Path, "config.json"), "{\"model_type\": \"llama\"");

        var models = (await _stakeholder.GetFromJsonAsync<List<PlannerModel>>("/api/planner/models", Json))!;
        var listed = models.Single(m => m.Id == $"registered:{good.Id}");
        Assert.Equal((PlannerModel.RegisteredSource, "Tiny Qwen", good.Path), (listed.Source, listed.Name, listed.Folder));
        Assert.Equal(good.Card.Parameters, listed.Architecture!.TotalParameters);
        var problem = models.Single(m => m.Id == $"registered:{broken.Id}");
        Assert.Null(problem.Architecture);
        Assert.Equal("FolderConfigUnreadable", problem.Problem!.Code);
        Assert.Contains("config.json", problem.Problem.Text, StringComparison.Ordinal);
        Assert.Single(problem.Problem.Args);

        var plan = await _stakeholder.PostAsJsonAsync("/api/planner/plan", new { modelId = $"registered:{good.Id}", precision = "fp32", contextLength = 64, concurrentSequences = 2, mode = "inference", gpuId = "cpu" });
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        Assert.Equal(1, (int)JsonNode.Parse(await plan.Content.ReadAsStringAsync())!["gpuCount"]!);
        await AssertFieldAsync(new { modelId = $"registered:{broken.Id}", precision = "fp32", contextLength = 64, concurrentSequences = 1, mode = "inference", gpuId = "cpu" }, "modelId", "cannot be planned", "UnplannableFolderConfigUnreadable", "broken", problem.Problem.Args[0]);

        // Its compose file mounts the folder read-only instead of pulling from the hub.
        var compose = await _stakeholder.PostAsJsonAsync("/api/planner/artefacts/compose", new
        {
            plan = new { modelId = $"registered:{good.Id}", precision = "bf16", contextLength = 64, concurrentSequences = 1, mode = "inference", gpuId = "l40s" },
            engine = "vllm",
        });
        Assert.Equal(HttpStatusCode.OK, compose.StatusCode);
        var yaml = await compose.Content.ReadAsStringAsync();
        Assert.Contains(good.Path, yaml, StringComparison.Ordinal);
        Assert.Contains("- \"/models/tiny-qwen\"", yaml.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task A_served_model_registers_as_an_evaluation_endpoint_for_engineers_only_with_the_registrys_rules()
    {
        var forbidden = await _stakeholder.PostAsJsonAsync("/api/planner/endpoints", new { name = "v3", baseUrl = "http://10.0.0.5:8000", servedName = "v3-fp8" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        var created = await _engineer.PostAsJsonAsync("/api/planner/endpoints", new { name = "v3 on the cluster", baseUrl = "http://10.0.0.5:8000", servedName = "v3-fp8", apiKey = "sk-served-1" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var endpoint = (await created.Content.ReadFromJsonAsync<EndpointView>())!;
        Assert.Equal(("http://10.0.0.5:8000/v1", "v3-fp8", true), (endpoint.BaseUrl, endpoint.Model, endpoint.HasKey));
        var listed = (await _stakeholder.GetFromJsonAsync<List<EndpointView>>("/api/evaluation-endpoints"))!;
        Assert.Contains(listed, e => e.Id == endpoint.Id && e.Name == "v3 on the cluster");

        // The evaluation registry's own checks: URL scheme, a taken name, a missing model.
        var bad = await _engineer.PostAsJsonAsync("/api/planner/endpoints", new { name = "v3 on the cluster", baseUrl = "ftp://10.0.0.5/v1", servedName = "" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors;
        Assert.Contains("baseUrl", errors.Keys);
        Assert.Contains("model", errors.Keys);
        var taken = await _engineer.PostAsJsonAsync("/api/planner/endpoints", new { name = "v3 on the cluster", baseUrl = "https://llm.example/v1", servedName = "v3" });
        Assert.Contains("already exists", string.Join(" ", (await taken.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors["name"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_training_bundle_holds_the_launch_files_and_the_version_in_LLaMA_Factory_format_that_reads_back_into_its_records()
    {
        // Pairs → alpaca.
        var pairs = new StringBuilder();
        for (var i = 0; i < 12; i++)
            pairs.Append(JsonSerializer.Serialize(new { prompt = $"问题 {i}：余额是多少？", response = $"您的余额为 {100 + i} 元。" })).Append('\n');
        var pairVersion = await UploadAsync("pairs", pairs.ToString());
        var zip = await BundleAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "llamaFactory", datasetVersionId = pairVersion.Id, settings = new { learningRate = 2e-4, epochs = 3 } });
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("launch.sh", names.Select(Path.GetFileName));
        Assert.Contains("dataset_info.json", names.Select(Path.GetFileName));
        Assert.Contains("manifest.json", names);
        Assert.Contains(names, n => n.EndsWith(".yaml", StringComparison.Ordinal));
        var info = JsonNode.Parse(Read(zip, names.Single(n => Path.GetFileName(n) == "dataset_info.json")))!.AsObject();
        var (datasetName, entry) = info.Single();
        var datasetFile = (string?)entry!["file_name"]!;
        var datasetPath = names.Single(n => Path.GetFileName(n) == datasetFile);
        Assert.Equal(Path.GetDirectoryName(names.Single(n => Path.GetFileName(n) == "dataset_info.json")), Path.GetDirectoryName(datasetPath));
        var alpaca = JsonNode.Parse(Read(zip, datasetPath))!.AsArray();
        var records = await RecordsAsync(pairVersion);
        Assert.Equal(records.Count, alpaca.Count);
        Assert.Equal(records.Select(r => (r.Prompt, r.Response)), alpaca.Select(a => ((string?)a!["instruction"], (string?)a["output"])));
        var manifest = JsonNode.Parse(Read(zip, "manifest.json"))!;
        Assert.Equal(("alpaca", 12L, 0L), ((string?)manifest["format"], (long)manifest["examples"]!, (long)manifest["skipped"]!));
        Assert.Contains(datasetName, Read(zip, names.Single(n => n.EndsWith(".yaml", StringComparison.Ordinal) && n.Contains("llama", StringComparison.OrdinalIgnoreCase))), StringComparison.Ordinal);
        Assert.Contains("MASTER_PORT", Read(zip, names.Single(n => Path.GetFileName(n) == "launch.sh")), StringComparison.Ordinal);

        // DeepSpeed gets its own config and the same data folder.
        var deepSpeed = await BundleAsync(new { plan = V3OnH200(mode: "fullFineTune", precision: "bf16"), framework = "deepSpeed", datasetVersionId = pairVersion.Id }, "deepspeed");
        var deepSpeedNames = deepSpeed.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("ds_config.json", deepSpeedNames);
        Assert.Contains("train_args.json", deepSpeedNames);
        Assert.Equal(3, (int)JsonNode.Parse(Read(deepSpeed, "ds_config.json"))!["zero_optimization"]!["stage"]!);
        Assert.Single(deepSpeedNames, n => n.StartsWith("data/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal) && !n.EndsWith("dataset_info.json", StringComparison.Ordinal));

        // Conversations → sharegpt, from a run: its version and its settings.
        var chats = new StringBuilder();
        for (var i = 0; i < 6; i++)
            chats.Append($$"""{"messages": [{"role": "system", "content": "你是银行客服。"}, {"role": "user", "content": "客户 {{i}}：卡丢了"}, {"role": "assistant", "content": "请挂失 {{i}}。"}, {"role": "user", "content": "要带什么？"}, {"role": "assistant", "content": "身份证。"}]}""").Append('\n');
        var chatVersion = await UploadAsync("chats", chats.ToString());
        int runId;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Data.PortalDbContext>();
            var run = new Data.TrainingRun { Name = "chat run", Status = Data.RunStatus.Succeeded, Settings = "", CreatedAt = DateTimeOffset.UtcNow, DatasetId = chatVersion.DatasetId, DatasetVersionId = chatVersion.Id };
            run.Apply(new Engine.Training.TrainingOptions { Steps = 30, MicroBatchSize = 2, GradientAccumulationSteps = 2, LearningRate = 5e-4, SequenceLength = 128, Lora = new Engine.Adapters.LoraConfig { R = 4, LoraAlpha = 8 } });
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
        }
        var chatZip = await BundleAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "llamaFactory", runId });
        var chatManifest = JsonNode.Parse(Read(chatZip, "manifest.json"))!;
        Assert.Equal("sharegpt", (string?)chatManifest["format"]);
        var spec = chatManifest["spec"]!;
        // The run's settings: rate, micro-batch, accumulation, cutoff, LoRA rank and alpha; epochs = ceil(30 steps × 4 ÷ 6 examples) = 20.
        Assert.Equal((5e-4, 2, 2, 128, 4, 8, 20), ((double)spec["learningRate"]!, (int)spec["microBatchSize"]!, (int)spec["gradientAccumulationSteps"]!, (int)spec["sequenceLength"]!, (int)spec["loraRank"]!, (int)spec["loraAlpha"]!, (int)spec["epochs"]!));
        var chatNames = chatZip.Entries.Select(e => e.FullName).ToList();
        var shareGpt = JsonNode.Parse(Read(chatZip, chatNames.Single(n => n.EndsWith((string)spec["datasetFile"]!, StringComparison.Ordinal))))!.AsArray();
        var chatRecords = await RecordsAsync(chatVersion);
        Assert.Equal(chatRecords.Count, shareGpt.Count);
        for (var i = 0; i < chatRecords.Count; i++)
        {
            // Back into turns: the system prompt, then human → user and gpt → assistant.
            var back = new List<(string, string)> { ("system", (string)shareGpt[i]!["system"]!) };
            back.AddRange(shareGpt[i]!["conversations"]!.AsArray().Select(t => ((string)t!["from"]! == "gpt" ? "assistant" : "user", (string)t["value"]!)));
            Assert.Equal(chatRecords[i].Turns!.Select(t => (t.Role, t.Content)), back);
        }

        // Refusals, nothing produced: inference plans, plain-text versions, both sources, an unknown run.
        await AssertBundleFieldAsync(new { plan = V3OnH200(), framework = "llamaFactory", datasetVersionId = pairVersion.Id }, "plan.mode", "TbNeedsTrainingMode");
        var plain = await UploadAsync("plain", "{\"text\": \"只有文字，没有问答。\"}\n{\"text\": \"Just text.\"}\n");
        await AssertBundleFieldAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "deepSpeed", datasetVersionId = plain.Id }, "datasetVersionId", "TbNoPairs");
        await AssertBundleFieldAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "deepSpeed", datasetVersionId = plain.Id, runId }, "runId", "TbRunOrVersion");
        await AssertBundleFieldAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "deepSpeed", runId = 9999 }, "runId", "TbNoRun");
        await AssertBundleFieldAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "deepSpeed", datasetVersionId = pairVersion.Id, cluster = new { masterPort = 80 } }, "cluster.masterPort", "TbOutOfRange");
        await AssertBundleFieldAsync(new { plan = V3OnH200(mode: "lora", precision: "bf16"), framework = "deepSpeed", datasetVersionId = pairVersion.Id, cluster = new { masterAddress = "10.0.0.1 && reboot" } }, "cluster.masterAddress", "SpecMasterAddress");
        Assert.Empty(Directory.Exists(Path.Combine(_portal.DataDirectory, "temp")) ? Directory.GetFiles(Path.Combine(_portal.DataDirectory, "temp"), "bundle-*") : []);
    }

    private async Task<ZipArchive> BundleAsync(object body, string framework = "llamafactory")
    {
        var response = await _stakeholder.PostAsJsonAsync("/api/planner/training-bundle", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches($"^training-{framework}-[a-z0-9-]+\\.zip$", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        return new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
    }

    /// <summary>A refused bundle: the field's English error and, under notes, the same sentence with its code (the page words it by code).</summary>
    private async Task AssertBundleFieldAsync(object body, string field, string code)
    {
        var response = await _engineer.PostAsJsonAsync("/api/planner/training-bundle", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var errors = JsonSerializer.Deserialize<ValidationProblemDetails>(text, Json)!.Errors;
        Assert.True(errors.ContainsKey(field), $"expected {field}, got {string.Join(", ", errors.Select(e => e.Key + ": " + string.Join(" ", e.Value)))}");
        var note = Assert.Single(JsonNode.Parse(text)!["notes"]![field]!.AsArray())!;
        Assert.Equal(code, (string?)note["code"]);
        Assert.Equal(errors[field][0], (string?)note["text"]);
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Imports a JSONL file through an import job (which keeps pairs and turns) and returns its version.</summary>
    private async Task<VersionSummary> UploadAsync(string name, string jsonl)
    {
        var staged = await _engineer.PostAsync("/api/datasets/uploads", TestData.Upload($"{name}.jsonl", jsonl));
        Assert.Equal(HttpStatusCode.Created, staged.StatusCode);
        var uploadId = (await staged.Content.ReadFromJsonAsync<Datasets.Jobs.StagedUploadView>(Json))!.Id;
        var response = await _engineer.PostAsJsonAsync("/api/datasets/imports", new { uploadId, name });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<Datasets.Jobs.DataJobView>(Json))!.Id;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await _engineer.GetFromJsonAsync<Datasets.Jobs.DataJobView>($"/api/datasets/jobs/{id}", Json))!;
            if (!job.IsActive)
            {
                Assert.True(job.Status == Data.DataJobStatus.Succeeded, string.Join("; ", job.Errors.Select(e => e.ToString())));
                return (await _engineer.GetFromJsonAsync<List<VersionSummary>>($"/api/datasets/{job.DatasetId}/versions", Json))!.Single();
            }
            Assert.True(DateTime.UtcNow < deadline, $"data job {id} still {job.Status} after 60 s");
            await Task.Delay(100);
        }
    }

    private async Task<List<VersionRecord>> RecordsAsync(VersionSummary version)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var versions = scope.ServiceProvider.GetRequiredService<DatasetVersionService>();
        var row = (await versions.FindAsync(version.Id, CancellationToken.None))!;
        var list = new List<VersionRecord>();
        await foreach (var record in versions.ReadAsync(row, dropped: false, CancellationToken.None))
            list.Add(record);
        return list;
    }
}
