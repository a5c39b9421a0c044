using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunBaseModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "BaseModelId",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BaseModelName",
                table: "Runs",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BaseModelPath",
                table: "Runs",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BaseModelId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "BaseModelName",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "BaseModelPath",
                table: "Runs");
        }
    }
}
