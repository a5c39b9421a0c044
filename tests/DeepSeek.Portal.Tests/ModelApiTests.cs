using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Models;

namespace DeepSeek.Portal.Tests;

/// <summary>The model registry over HTTP: the roots rule, the specific refusals and the card's numbers.</summary>
public sealed class ModelApiTests : IAsyncLifetime
{
    private readonly PortalFactory _portal = new();
    private HttpClient _engineer = default!;

    private string Root => Path.Combine(_portal.DataDirectory, "models");
    private string Outside => Path.Combine(_portal.DataDirectory, "outside");

    public async Task InitializeAsync() => _engineer = await _portal.ClientForRoleAsync(PortalRoles.Engineer);
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task A_tiny_v2_moe_folder_registers_with_active_parameters_below_the_total()
    {
        var config = TinyModelFolders.TinyV2Moe();
        long total = TinyModelFolders.Write(Path.Combine(Root, "v2-moe"), config, maxShardBytes: 200_000);

        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("v2-moe", "Tiny V2"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var model = (await response.Content.ReadFromJsonAsync<ModelSummary>())!;
        var card = model.Card;

        Assert.Equal("deepseek_v2", card.ModelType);
        Assert.Equal("DeepSeekV2", card.Family);
        Assert.Equal(total, card.Parameters);
        // Layer 1 is MoE (first_k_dense_replace = 1): a token skips 2 of its 4 routed experts, each gate+up+down of 128 × 64.
        Assert.Equal(1, card.MoeLayers);
        Assert.Equal(total - 2 * 3 * 128 * 64, card.ActiveParameters);
        Assert.True(card.Sharded && card.WeightFiles > 1, $"expected shards, got {card.WeightFiles} file(s)");
        Assert.Equal(["F32"], card.DTypes.Keys);
        Assert.Equal(4096, card.ContextLength);
        Assert.Equal(TinyModelFolders.SharedTokenizer.VocabSize, card.VocabSize);
        Assert.True(card.TokenizerPresent);
        Assert.Equal("DeepSeekV3", card.TokenizerRules);
        Assert.Equal("deepseek-v2-remote-code", card.Semantics);
        Assert.Equal(Path.GetFullPath(Path.Combine(Root, "v2-moe")), model.Path);

        var fetched = await _engineer.GetFromJsonAsync<ModelSummary>($"/api/models/{model.Id}");
        Assert.Equal(card.ActiveParameters, fetched!.Card.ActiveParameters);
    }

    [Fact]
    public async Task A_v3_folder_reports_yarn_the_v3_semantics_and_sets_aside_a_layer_the_engine_does_not_build()
    {
        var config = TinyModelFolders.TinyV2Moe() with
        {
            ModelType = Engine.Models.DeepSeekConfig.V3ModelType, TopkMethod = "noaux_tc", ScoringFunc = "sigmoid", NormTopkProb = true, RoutedScalingFactor = 2.5,
            RopeScaling = new Engine.Models.RopeScaling { Factor = 4, OriginalMaxPositionEmbeddings = 1024, Mscale = 1, MscaleAllDim = 1 },
        };
        // A multi-token-prediction layer (index num_hidden_layers), which HF inference and this engine skip.
        using var mtp = TorchSharp.torch.zeros(16, 8);
        long total = TinyModelFolders.Write(Path.Combine(Root, "v3"), config, extra: new Dictionary<string, TorchSharp.torch.Tensor> { ["model.layers.2.eh_proj.weight"] = mtp });

        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("v3"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var card = (await response.Content.ReadFromJsonAsync<ModelSummary>())!.Card;
        Assert.Equal("deepseek_v3", card.ModelType);
        Assert.Equal("deepseek-v3-remote-code", card.Semantics);
        Assert.Equal(total, card.Parameters);
        Assert.Equal(16 * 8, card.NotBuiltParameters);
        Assert.Equal(total - 2 * 3 * 128 * 64, card.ActiveParameters);
        Assert.Equal("yarn", card.RopeScaling);
        Assert.Equal(4, card.RopeScalingFactor);
        Assert.Equal(1024, card.OriginalContextLength);
    }

    [Fact]
    public async Task A_tiny_qwen2_folder_is_dense_with_the_hf_qwen2_semantics_and_stakeholders_may_read_but_not_register()
    {
        long total = TinyModelFolders.Write(Path.Combine(Root, "qwen"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest(Path.Combine(Root, "qwen")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var card = (await response.Content.ReadFromJsonAsync<ModelSummary>())!.Card;
        Assert.Equal("qwen2", card.ModelType);
        Assert.Equal(total, card.Parameters);
        Assert.Equal(total, card.ActiveParameters);
        Assert.False(card.TokenizerPresent);
        Assert.Null(card.ChatTemplate);
        Assert.Equal("hf-qwen2", card.Semantics);

        var stakeholder = await _portal.ClientForRoleAsync(PortalRoles.Stakeholder);
        var list = await stakeholder.GetFromJsonAsync<List<ModelSummary>>("/api/models");
        Assert.Equal("qwen", Assert.Single(list!).Name);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/models", new RegisterModelRequest("qwen", "again"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.DeleteAsync($"/api/models/{list![0].Id}")).StatusCode);
    }

    [Fact]
    public async Task Unregistering_keeps_the_folder_and_a_taken_name_is_a_conflict()
    {
        TinyModelFolders.Write(Path.Combine(Root, "keep"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        var model = (await (await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("keep"))).Content.ReadFromJsonAsync<ModelSummary>())!;
        var again = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("keep"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _engineer.DeleteAsync($"/api/models/{model.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _engineer.GetAsync($"/api/models/{model.Id}")).StatusCode);
        Assert.True(File.Exists(Path.Combine(Root, "keep", "config.json")));
        Assert.True(File.Exists(Path.Combine(Root, "keep", "model.safetensors")));
    }

    [Fact]
    public async Task A_dot_dot_escape_is_refused_as_outside_the_roots()
    {
        TinyModelFolders.Write(Path.Combine(Outside, "m"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        await AssertRefusedAsync(Path.Combine(Root, "..", "outside", "m"), ModelFolderException.OutsideRoots);
        await AssertRefusedAsync("../outside/m", ModelFolderException.OutsideRoots);
    }

    [Fact]
    public async Task A_symlink_out_of_the_root_is_refused_for_the_folder_and_for_a_file_inside_it()
    {
        TinyModelFolders.Write(Path.Combine(Outside, "m"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        Directory.CreateDirectory(Root);
        Directory.CreateSymbolicLink(Path.Combine(Root, "link"), Path.Combine(Outside, "m"));
        await AssertRefusedAsync(Path.Combine(Root, "link"), ModelFolderException.OutsideRoots);

        // A real folder inside the root whose weights file links out.
        var mixed = Path.Combine(Root, "mixed");
        Directory.CreateDirectory(mixed);
        File.Copy(Path.Combine(Outside, "m", "config.json"), Path.Combine(mixed, "config.json"));
        File.CreateSymbolicLink(Path.Combine(mixed, "model.safetensors"), Path.Combine(Outside, "m", "model.safetensors"));
        await AssertRefusedAsync(mixed, ModelFolderException.OutsideRoots);

        // A link that stays inside the root is fine.
        TinyModelFolders.Write(Path.Combine(Root, "real"), TinyModelFolders.TinyQwen2(), tokenizer: false);
        Directory.CreateSymbolicLink(Path.Combine(Root, "alias"), Path.Combine(Root, "real"));
        var ok = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest("alias"));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal(Path.Combine(Root, "real"), (await ok.Content.ReadFromJsonAsync<ModelSummary>())!.Path);
    }

    [Fact]
    public async Task Missing_or_malformed_parts_get_their_own_400()
    {
        var noConfig = Path.Combine(Root, "no-config");
        TinyModelFolders.Write(noConfig, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.Delete(Path.Combine(noConfig, "config.json"));
        await AssertRefusedAsync(noConfig, ModelFolderException.MissingConfig);

        var malformed = Path.Combine(Root, "malformed");
        TinyModelFolders.Write(malformed, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.WriteAllText(Path.Combine(malformed, "config.json"), "{\"model_type\": \"qwen2\", \"hidden_size\": ");
        await AssertRefusedAsync(malformed, ModelFolderException.MalformedConfig);

        var invalid = Path.Combine(Root, "invalid");
        TinyModelFolders.Write(invalid, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.WriteAllText(Path.Combine(invalid, "config.json"), TinyModelFolders.TinyQwen2().ToJson().Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0"));
        await AssertRefusedAsync(invalid, ModelFolderException.MalformedConfig);

        var noWeights = Path.Combine(Root, "no-weights");
        TinyModelFolders.Write(noWeights, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.Delete(Path.Combine(noWeights, "model.safetensors"));
        await AssertRefusedAsync(noWeights, ModelFolderException.MissingWeights);

        var badHeader = Path.Combine(Root, "bad-header");
        TinyModelFolders.Write(badHeader, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.WriteAllBytes(Path.Combine(badHeader, "model.safetensors"), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{']);
        await AssertRefusedAsync(badHeader, ModelFolderException.MalformedWeights);

        var mismatch = Path.Combine(Root, "mismatch");
        TinyModelFolders.Write(mismatch, TinyModelFolders.TinyQwen2(), tokenizer: false);
        File.WriteAllText(Path.Combine(mismatch, "config.json"), (TinyModelFolders.TinyQwen2() with { VocabSize = 7 }).ToJson());
        await AssertRefusedAsync(mismatch, ModelFolderException.WeightsMismatch);

        await AssertRefusedAsync(Path.Combine(Root, "nothing-here"), ModelFolderException.NotFound);
        Assert.Empty((await _engineer.GetFromJsonAsync<List<ModelSummary>>("/api/models"))!);
    }

    private async Task AssertRefusedAsync(string path, string code)
    {
        var response = await _engineer.PostAsJsonAsync("/api/models", new RegisterModelRequest(path, Guid.NewGuid().ToString("N")));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
    }
}
