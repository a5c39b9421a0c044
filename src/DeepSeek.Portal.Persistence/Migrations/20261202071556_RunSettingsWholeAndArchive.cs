using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <summary>
    /// Run settings stored whole (one JSON document of the engine's options, format 1) instead of eight columns;
    /// archiving of datasets and runs. Existing runs get their eight stored settings plus the four the old schema
    /// did not store, at the values the engine used when those runs were launched.
    /// </summary>
    public partial class RunSettingsWholeAndArchive : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(name: "Settings", table: "Runs", type: "TEXT", nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<int>(name: "SettingsVersion", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<long>(name: "ArchivedAt", table: "Runs", type: "INTEGER", nullable: true);
            migrationBuilder.AddColumn<long>(name: "ArchivedAt", table: "Datasets", type: "INTEGER", nullable: true);

            // Weight decay 0.01, clip 1.0, checkpoint every 50 and vocabulary 2048 were the engine's fixed values until now.
            migrationBuilder.Sql("""
                UPDATE Runs SET SettingsVersion = 1, Settings = json_object(
                    'microBatchSize', MicroBatchSize,
                    'gradientAccumulationSteps', GradientAccumulationSteps,
                    'learningRate', LearningRate,
                    'steps', Steps,
                    'precision', lower(Precision),
                    'seed', Seed,
                    'warmupSteps', WarmupSteps,
                    'sequenceLength', SequenceLength,
                    'weightDecay', 0.01,
                    'maxGradNorm', 1.0,
                    'checkpointEvery', 50,
                    'tokenizerVocabSize', 2048);
                """);

            foreach (var column in new[] { "MicroBatchSize", "GradientAccumulationSteps", "LearningRate", "Precision", "Seed", "WarmupSteps", "SequenceLength" })
                migrationBuilder.DropColumn(name: column, table: "Runs");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(name: "MicroBatchSize", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<int>(name: "GradientAccumulationSteps", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<double>(name: "LearningRate", table: "Runs", type: "REAL", nullable: false, defaultValue: 0.0);
            migrationBuilder.AddColumn<string>(name: "Precision", table: "Runs", type: "TEXT", nullable: false, defaultValue: "fp32");
            migrationBuilder.AddColumn<int>(name: "Seed", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<int>(name: "WarmupSteps", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.AddColumn<int>(name: "SequenceLength", table: "Runs", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.Sql("""
                UPDATE Runs SET
                    MicroBatchSize = json_extract(Settings, '$.microBatchSize'),
                    GradientAccumulationSteps = json_extract(Settings, '$.gradientAccumulationSteps'),
                    LearningRate = json_extract(Settings, '$.learningRate'),
                    Precision = json_extract(Settings, '$.precision'),
                    Seed = json_extract(Settings, '$.seed'),
                    WarmupSteps = json_extract(Settings, '$.warmupSteps'),
                    SequenceLength = json_extract(Settings, '$.sequenceLength')
                WHERE Settings <> '';
                """);
            migrationBuilder.DropColumn(name: "Settings", table: "Runs");
            migrationBuilder.DropColumn(name: "SettingsVersion", table: "Runs");
            migrationBuilder.DropColumn(name: "ArchivedAt", table: "Runs");
            migrationBuilder.DropColumn(name: "ArchivedAt", table: "Datasets");
        }
    }
}
