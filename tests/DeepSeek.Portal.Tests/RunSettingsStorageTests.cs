using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Training;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DeepSeek.Portal.Tests;

/// <summary>A run's settings are stored whole and read back exactly, whatever today's defaults are.</summary>
public sealed class RunSettingsStorageTests
{
    private static readonly TrainingOptions Unusual = new()
    {
        MicroBatchSize = 3, GradientAccumulationSteps = 5, LearningRate = 1.5e-4, Steps = 77, Precision = TrainingPrecision.Bf16, Seed = 9,
        WarmupSteps = 7, SequenceLength = 48, WeightDecay = 0.2, MaxGradNorm = 0.25, CheckpointEvery = 11, TokenizerVocabSize = 999,
        InitialLossScale = 1024, LossScaleGrowthInterval = 17, ActivationCheckpointing = true,
    };

    [Fact]
    public void Every_option_round_trips_through_the_stored_settings()
    {
        var run = new TrainingRun { Name = "r", Settings = "" };
        run.Apply(Unusual);
        Assert.Equal(Unusual, run.ToOptions());
        Assert.Equal(77, run.Steps);
        Assert.Contains("\"precision\":\"bf16\"", run.Settings, StringComparison.Ordinal);
    }

    [Fact]
    public void An_automatic_tokenizer_vocabulary_is_stored_as_null_and_read_back_as_automatic()
    {
        var options = RunService.ToOptions(new RunLaunchRequest { DatasetId = 1 });
        Assert.Null(options.TokenizerVocabSize);
        var run = new TrainingRun { Name = "r", Settings = "" };
        run.Apply(options);
        Assert.Contains("\"tokenizerVocabSize\":null", run.Settings, StringComparison.Ordinal);
        Assert.Equal(options, run.ToOptions());
        Assert.Equal(4096, RunService.ToOptions(new RunLaunchRequest { DatasetId = 1, TokenizerVocabSize = 4096 }).TokenizerVocabSize);
        Assert.Contains("tokenizerVocabSize", RunService.ValidateSettings(new RunLaunchRequest { DatasetId = 1, TokenizerVocabSize = 100 }).Keys);
    }

    [Fact]
    public void Settings_missing_a_field_are_refused_instead_of_taking_todays_default()
    {
        var run = new TrainingRun { Name = "r", Settings = "", SettingsVersion = TrainingRunSettings.CurrentVersion };
        run.Apply(Unusual);
        run.Settings = run.Settings.Replace(",\"tokenizerVocabSize\":999", "", StringComparison.Ordinal);
        var e = Assert.ThrowsAny<System.Text.Json.JsonException>(() => run.ToOptions());
        Assert.Contains("tokenizerVocabSize", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_of_an_unknown_format_are_refused()
    {
        var run = new TrainingRun { Name = "r", Settings = "" };
        run.Apply(Unusual);
        run.SettingsVersion = TrainingRunSettings.CurrentVersion + 1;
        Assert.Throws<InvalidOperationException>(() => run.ToOptions());
    }

    [Fact]
    public void Version_1_settings_without_the_precision_and_checkpointing_fields_read_as_their_defaults()
    {
        var run = new TrainingRun { Name = "r", Settings = "" };
        run.Apply(Unusual);
        var json = System.Text.Json.Nodes.JsonNode.Parse(run.Settings)!.AsObject();
        json.Remove("initialLossScale");
        json.Remove("lossScaleGrowthInterval");
        json.Remove("activationCheckpointing");
        run.Settings = json.ToJsonString();
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => run.ToOptions()); // format 2 requires them
        run.SettingsVersion = 1;
        Assert.Equal(Unusual with { InitialLossScale = 65536, LossScaleGrowthInterval = 2000, ActivationCheckpointing = false }, run.ToOptions());
    }

    [Fact]
    public void Version_2_settings_without_the_decay_read_as_cosine_and_linear_decay_round_trips()
    {
        var run = new TrainingRun { Name = "r", Settings = "" };
        run.Apply(Unusual with { LearningRateDecay = LearningRateDecay.Linear });
        Assert.Contains("\"learningRateDecay\":\"linear\"", run.Settings, StringComparison.Ordinal);
        Assert.Equal(LearningRateDecay.Linear, run.ToOptions().LearningRateDecay);
        var json = System.Text.Json.Nodes.JsonNode.Parse(run.Settings)!.AsObject();
        json.Remove("learningRateDecay");
        run.Settings = json.ToJsonString();
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => run.ToOptions()); // format 3 requires it
        run.SettingsVersion = 2;
        Assert.Equal(Unusual with { LearningRateDecay = LearningRateDecay.Cosine }, run.ToOptions());
    }

    [Fact]
    public async Task Runs_stored_before_the_settings_column_keep_their_settings_after_migrating()
    {
        var directory = PortalFactory.NewDataDirectory();
        try
        {
            var paths = new DataPaths(directory);
            paths.EnsureCreated();
            var options = new DbContextOptionsBuilder<PortalDbContext>();
            options.UsePortalDatabase(paths);
            await using (var db = new PortalDbContext(options.Options))
            {
                await db.GetService<IMigrator>().MigrateAsync("20261128213417_InitialCreate");
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO Datasets (Id, Name, SourceFileName, Format, RecordCount, Characters, Bytes, Sha256, IsDemo, CreatedAt)
                    VALUES (1, 'old', 'old.jsonl', 'jsonl', 1, 1, 1, 'x', 0, 0);
                    INSERT INTO Runs (Id, Name, DatasetId, Status, MicroBatchSize, GradientAccumulationSteps, LearningRate, Steps, Precision, Seed,
                        WarmupSteps, SequenceLength, CurrentStep, CancelRequested, Attempts, CreatedAt)
                    VALUES (1, 'old run', 1, 'Succeeded', 2, 3, 0.001, 40, 'bf16', 5, 4, 32, 40, 0, 1, 0);
                    """);
            }
            await using (var db = new PortalDbContext(options.Options))
            {
                await PortalDatabase.PrepareAsync(db, CancellationToken.None);
                var run = await db.Runs.SingleAsync();
                var expected = new TrainingOptions
                {
                    MicroBatchSize = 2, GradientAccumulationSteps = 3, LearningRate = 0.001, Steps = 40, Precision = TrainingPrecision.Bf16, Seed = 5,
                    WarmupSteps = 4, SequenceLength = 32, WeightDecay = 0.01, MaxGradNorm = 1.0, CheckpointEvery = 50, TokenizerVocabSize = 2048,
                };
                Assert.Equal(expected, run.ToOptions());
                // The dataset became version 1 of itself, and the run points at it.
                var version = await db.DatasetVersions.SingleAsync();
                Assert.Equal((1, 1, "import", "x", 1L), (version.DatasetId, version.Number, version.Operation, version.Sha256, version.RecordCount));
                Assert.Equal(version.Id, run.DatasetVersionId);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            PortalFactory.DeleteDataDirectory(directory);
        }
    }
}
