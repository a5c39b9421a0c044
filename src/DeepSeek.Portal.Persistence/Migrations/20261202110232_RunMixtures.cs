using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunMixtures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Mixture",
                table: "Runs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MixtureVersion",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "RunSourceMetrics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<int>(type: "INTEGER", nullable: false),
                    Step = table.Column<int>(type: "INTEGER", nullable: false),
                    Source = table.Column<int>(type: "INTEGER", nullable: false),
                    Weight = table.Column<double>(type: "REAL", nullable: false),
                    Probability = table.Column<double>(type: "REAL", nullable: false),
                    Loss = table.Column<double>(type: "REAL", nullable: true),
                    Sequences = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RunSourceMetrics", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RunSourceMetrics_RunId_Step_Source",
                table: "RunSourceMetrics",
                columns: new[] { "RunId", "Step", "Source" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RunSourceMetrics");

            migrationBuilder.DropColumn(
                name: "Mixture",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "MixtureVersion",
                table: "Runs");
        }
    }
}
