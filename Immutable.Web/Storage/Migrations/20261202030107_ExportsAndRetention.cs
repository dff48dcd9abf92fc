using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ExportsAndRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "retention_days",
                table: "workspaces",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "archives",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    day = table.Column<long>(type: "INTEGER", nullable: false),
                    file_name = table.Column<string>(type: "TEXT", nullable: false),
                    event_count = table.Column<long>(type: "INTEGER", nullable: false),
                    first_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    last_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    first_previous_event_hash = table.Column<string>(type: "TEXT", nullable: true),
                    first_event_hash = table.Column<string>(type: "TEXT", nullable: false),
                    last_event_hash = table.Column<string>(type: "TEXT", nullable: false),
                    first_created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    size_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_archives", x => x.id);
                    table.ForeignKey(
                        name: "FK_archives_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "exports",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    format = table.Column<string>(type: "TEXT", nullable: false),
                    filters = table.Column<string>(type: "TEXT", nullable: false),
                    snapshot_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    total_rows = table.Column<long>(type: "INTEGER", nullable: true),
                    rows_written = table.Column<long>(type: "INTEGER", nullable: false),
                    file_size = table.Column<long>(type: "INTEGER", nullable: true),
                    file_name = table.Column<string>(type: "TEXT", nullable: true),
                    error_message = table.Column<string>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    file_deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_exports", x => x.id);
                    table.ForeignKey(
                        name: "FK_exports_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "retention_cuts",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    last_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    last_event_hash = table.Column<string>(type: "TEXT", nullable: false),
                    last_created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_cuts", x => x.workspace_id);
                    table.ForeignKey(
                        name: "FK_retention_cuts_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_archives_workspace_id_day",
                table: "archives",
                columns: new[] { "workspace_id", "day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_exports_expires_at",
                table: "exports",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "IX_exports_workspace_id_created_at",
                table: "exports",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_exports_workspace_id_status",
                table: "exports",
                columns: new[] { "workspace_id", "status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "archives");

            migrationBuilder.DropTable(
                name: "exports");

            migrationBuilder.DropTable(
                name: "retention_cuts");

            migrationBuilder.DropColumn(
                name: "retention_days",
                table: "workspaces");
        }
    }
}
