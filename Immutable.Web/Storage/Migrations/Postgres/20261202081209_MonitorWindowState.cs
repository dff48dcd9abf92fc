using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MonitorWindowState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "monitor_bucket_days",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    user_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    day = table.Column<long>(type: "bigint", nullable: false),
                    monitor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    buckets = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monitor_bucket_days", x => new { x.workspace_id, x.user_id, x.day, x.monitor_id });
                });

            migrationBuilder.CreateTable(
                name: "monitor_states",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    monitor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    definition_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    since_sequence = table.Column<long>(type: "bigint", nullable: false),
                    through_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monitor_states", x => new { x.workspace_id, x.monitor_id });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "monitor_bucket_days");

            migrationBuilder.DropTable(
                name: "monitor_states");
        }
    }
}
