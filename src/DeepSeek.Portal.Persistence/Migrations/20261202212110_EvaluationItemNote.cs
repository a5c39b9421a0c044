using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class EvaluationItemNote : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Note",
                table: "EvaluationItems",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Note",
                table: "EvaluationItems");
        }
    }
}
