using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class DatasetVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "DatasetVersionId",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginalFile",
                table: "Datasets",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DataJobs",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Request = table.Column<string>(type: "TEXT", nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: true),
                    DatasetName = table.Column<string>(type: "TEXT", nullable: true),
                    SourceVersionId = table.Column<int>(type: "INTEGER", nullable: true),
                    ResultVersionId = table.Column<int>(type: "INTEGER", nullable: true),
                    Done = table.Column<long>(type: "INTEGER", nullable: false),
                    Total = table.Column<long>(type: "INTEGER", nullable: false),
                    Records = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: true),
                    ConflictDatasetId = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataJobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DatasetVersions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    Number = table.Column<int>(type: "INTEGER", nullable: false),
                    ParentId = table.Column<int>(type: "INTEGER", nullable: true),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Parameters = table.Column<string>(type: "TEXT", nullable: true),
                    Mapping = table.Column<string>(type: "TEXT", nullable: true),
                    Sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    RecordCount = table.Column<long>(type: "INTEGER", nullable: false),
                    Characters = table.Column<long>(type: "INTEGER", nullable: false),
                    Tokens = table.Column<long>(type: "INTEGER", nullable: true),
                    Bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    Statistics = table.Column<string>(type: "TEXT", nullable: true),
                    DroppedSha256 = table.Column<string>(type: "TEXT", nullable: true),
                    DroppedCount = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DatasetVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DatasetVersions_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "StagedUploads",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    FileName = table.Column<string>(type: "TEXT", nullable: false),
                    StoredName = table.Column<string>(type: "TEXT", nullable: false),
                    Bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StagedUploads", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_DataJobs_Status",
                table: "DataJobs",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_DatasetVersions_DatasetId_Number",
                table: "DatasetVersions",
                columns: new[] { "DatasetId", "Number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DatasetVersions_ParentId",
                table: "DatasetVersions",
                column: "ParentId");

            migrationBuilder.CreateIndex(
                name: "IX_DatasetVersions_Sha256",
                table: "DatasetVersions",
                column: "Sha256");

            // Every existing dataset becomes version 1 of itself (an import), and every run trained on that version.
            migrationBuilder.Sql("""
                INSERT INTO DatasetVersions (DatasetId, Number, ParentId, Operation, Parameters, Mapping, Sha256, RecordCount, Characters, Tokens, Bytes, Statistics, DroppedSha256, DroppedCount, CreatedAt, CreatedBy)
                SELECT Id, 1, NULL, 'import', json_object('format', Format, 'sourceFile', SourceFileName), NULL, Sha256, RecordCount, Characters, NULL, Bytes, NULL, NULL, 0, CreatedAt, CreatedBy
                FROM Datasets;
                """);
            migrationBuilder.Sql("""
                UPDATE Runs SET DatasetVersionId = (SELECT v.Id FROM DatasetVersions v WHERE v.DatasetId = Runs.DatasetId AND v.Number = 1);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DataJobs");

            migrationBuilder.DropTable(
                name: "DatasetVersions");

            migrationBuilder.DropTable(
                name: "StagedUploads");

            migrationBuilder.DropColumn(
                name: "DatasetVersionId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "OriginalFile",
                table: "Datasets");
        }
    }
}
