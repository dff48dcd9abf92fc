using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ViewerAllowlistSchemasAndStreams : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "webhook_endpoints",
                type: "TEXT",
                nullable: false,
                defaultValue: "endpoint");

            migrationBuilder.AddColumn<long>(
                name: "stream_checkpoint",
                table: "webhook_endpoints",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<bool>(
                name: "schema_violation",
                table: "events",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "workspace_settings",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    viewer_secret = table.Column<string>(type: "TEXT", nullable: true),
                    frame_ancestors = table.Column<string>(type: "TEXT", nullable: false),
                    ip_allowlist = table.Column<string>(type: "TEXT", nullable: false),
                    schema_mode = table.Column<string>(type: "TEXT", nullable: false),
                    schema_patterns = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workspace_settings", x => x.workspace_id);
                    table.ForeignKey(
                        name: "FK_workspace_settings_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "workspace_settings");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "webhook_endpoints");

            migrationBuilder.DropColumn(
                name: "stream_checkpoint",
                table: "webhook_endpoints");

            migrationBuilder.DropColumn(
                name: "schema_violation",
                table: "events");
        }
    }
}
