using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DeepSeek.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RunMemory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "PeakMemoryBytes",
                table: "Runs",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PeakMemoryBytes",
                table: "Runs");
        }
    }
}
