using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RoadmapChineseNotes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DescriptionZh",
                table: "RoadmapPhases",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "NotesZh",
                table: "RoadmapMilestones",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DescriptionZh",
                table: "RoadmapPhases");

            migrationBuilder.DropColumn(
                name: "NotesZh",
                table: "RoadmapMilestones");
        }
    }
}
