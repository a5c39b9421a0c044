using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RoadmapSentences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ReasonArgs",
                table: "RoadmapGateEvents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReasonCode",
                table: "RoadmapGateEvents",
                type: "TEXT",
                maxLength: 60,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SummaryArgs",
                table: "RoadmapChanges",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SummaryCode",
                table: "RoadmapChanges",
                type: "TEXT",
                maxLength: 60,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ReasonArgs",
                table: "RoadmapGateEvents");

            migrationBuilder.DropColumn(
                name: "ReasonCode",
                table: "RoadmapGateEvents");

            migrationBuilder.DropColumn(
                name: "SummaryArgs",
                table: "RoadmapChanges");

            migrationBuilder.DropColumn(
                name: "SummaryCode",
                table: "RoadmapChanges");
        }
    }
}
