using System.Text.Json;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Models;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Models;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Training;

/// <summary>The registered model a launch request fine-tunes, as validated: its row, card and config.</summary>
public sealed record RunBaseModelChoice(RegisteredModel Model, ModelCard Card, ModelConfig Config);

/// <summary>
/// Fine-tuning runs: which registered models a run may start from and what a launch request that names one must
/// satisfy. Keys of the errors are the request's JSON field names.
/// </summary>
public static class RunBaseModels
{
    private static readonly JsonSerializerOptions CardJson = new(JsonSerializerDefaults.Web);

    /// <summary>The families the trainer fine-tunes (every family the engine builds: the trainer is family-agnostic).</summary>
    public static IReadOnlySet<ModelFamily> TrainableFamilies { get; } = Enum.GetValues<ModelFamily>().ToHashSet();

    /// <summary>The registered model <paramref name="id"/> with its card, or <see langword="null"/>.</summary>
    public static async Task<(RegisteredModel Model, ModelCard Card)?> FindAsync(PortalDbContext db, int id, CancellationToken ct) =>
        await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) is { } row
            ? (row, JsonSerializer.Deserialize<ModelCard>(row.Card, CardJson)!)
            : null;

    /// <summary>
    /// Checks the request's base model (when it names one) and adds field-specific errors: unknown model, a family the
    /// trainer cannot fine-tune, a folder that is gone or lacks a tokenizer, a sequence length above the model's
    /// context, and a tokenizer size (the model's own tokenizer is used). Returns the choice when the model is usable.
    /// </summary>
    public static async Task<RunBaseModelChoice?> CheckAsync(PortalDbContext db, RunLaunchRequest request, TrainingOptions options,
        Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (request.BaseModelId is not int id) return null;
        if (request.TokenizerVocabSize is not null)
            errors["tokenizerVocabSize"] = ["Leave the tokenizer size out when starting from a registered model: the run uses the model's own tokenizer."];
        if (await FindAsync(db, id, ct) is not { } found)
        {
            errors["baseModelId"] = [$"Model {id} is not registered."];
            return null;
        }
        var (model, card) = found;
        if (!Enum.TryParse<ModelFamily>(card.Family, out var family) || !TrainableFamilies.Contains(family))
        {
            errors["baseModelId"] = [$"Model \"{model.Name}\" is of family {card.Family}, which the trainer cannot fine-tune (it fine-tunes {string.Join(", ", TrainableFamilies)})."];
            return null;
        }
        if (!card.TokenizerPresent || card.TokenizerError is not null)
        {
            errors["baseModelId"] = [$"Model \"{model.Name}\" has no usable tokenizer.json; a fine-tuning run needs the model's own tokenizer."];
            return null;
        }
        ModelConfig config;
        try
        {
            config = ModelCardReader.ReadConfig(model.Path);
        }
        catch (ModelFolderException e)
        {
            errors["baseModelId"] = [$"Model \"{model.Name}\" cannot be read any more: {e.Message}"];
            return null;
        }
        if (BaseModelFolder.Problem(model.Path) is { } problem)
        {
            errors["baseModelId"] = [$"Model \"{model.Name}\" cannot be fine-tuned: {problem}"];
            return null;
        }
        if (options.SequenceLength > config.MaxPositionEmbeddings)
            errors["sequenceLength"] = [$"The sequence length {options.SequenceLength} is longer than the context of \"{model.Name}\" ({config.MaxPositionEmbeddings} tokens)."];
        return new RunBaseModelChoice(model, card, config);
    }

    /// <summary>Stores the base model on a new run, with its name and folder as they are now.</summary>
    public static void ApplyBaseModel(this TrainingRun run, RegisteredModel model)
    {
        run.BaseModelId = model.Id;
        run.BaseModelName = model.Name;
        run.BaseModelPath = model.Path;
    }
}
