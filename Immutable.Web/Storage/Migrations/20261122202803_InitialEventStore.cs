using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class InitialEventStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "workspaces",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workspaces", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    label = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    prefix = table.Column<string>(type: "TEXT", nullable: false),
                    key_hash = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.id);
                    table.ForeignKey(
                        name: "FK_api_keys_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "events",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    id = table.Column<string>(type: "TEXT", nullable: true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_name = table.Column<string>(type: "TEXT", nullable: true),
                    actor_type = table.Column<string>(type: "TEXT", nullable: true),
                    action = table.Column<string>(type: "TEXT", nullable: false),
                    action_category = table.Column<string>(type: "TEXT", nullable: true),
                    resource = table.Column<string>(type: "TEXT", nullable: true),
                    resource_id = table.Column<string>(type: "TEXT", nullable: true),
                    resource_name = table.Column<string>(type: "TEXT", nullable: true),
                    targets = table.Column<string>(type: "TEXT", nullable: true),
                    metadata = table.Column<string>(type: "TEXT", nullable: true),
                    tenant_id = table.Column<string>(type: "TEXT", nullable: true),
                    session_id = table.Column<string>(type: "TEXT", nullable: true),
                    ip_address = table.Column<string>(type: "TEXT", nullable: true),
                    ip_country = table.Column<string>(type: "TEXT", nullable: true),
                    ip_city = table.Column<string>(type: "TEXT", nullable: true),
                    ip_latitude = table.Column<double>(type: "REAL", nullable: true),
                    ip_longitude = table.Column<double>(type: "REAL", nullable: true),
                    ip_accuracy_radius_km = table.Column<int>(type: "INTEGER", nullable: true),
                    ip_time_zone = table.Column<string>(type: "TEXT", nullable: true),
                    user_agent = table.Column<string>(type: "TEXT", nullable: true),
                    idempotency_key = table.Column<string>(type: "TEXT", nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: true),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    previous_event_hash = table.Column<string>(type: "TEXT", nullable: true),
                    event_hash = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_events", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_events_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "event_targets",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    event_row_id = table.Column<long>(type: "INTEGER", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    target_id = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_event_targets", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_event_targets_events_event_row_id",
                        column: x => x.event_row_id,
                        principalTable: "events",
                        principalColumn: "row_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_key_hash",
                table: "api_keys",
                column: "key_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_prefix",
                table: "api_keys",
                column: "prefix");

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_workspace_id",
                table: "api_keys",
                column: "workspace_id");

            migrationBuilder.CreateIndex(
                name: "IX_event_targets_event_row_id",
                table: "event_targets",
                column: "event_row_id");

            migrationBuilder.CreateIndex(
                name: "IX_event_targets_workspace_id_type_target_id",
                table: "event_targets",
                columns: new[] { "workspace_id", "type", "target_id" });

            migrationBuilder.CreateIndex(
                name: "IX_events_id",
                table: "events",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_action_sequence",
                table: "events",
                columns: new[] { "workspace_id", "action", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_actor_id_sequence",
                table: "events",
                columns: new[] { "workspace_id", "actor_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_created_at",
                table: "events",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_idempotency_key",
                table: "events",
                columns: new[] { "workspace_id", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_sequence",
                table: "events",
                columns: new[] { "workspace_id", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_session_id_sequence",
                table: "events",
                columns: new[] { "workspace_id", "session_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_tenant_id_sequence",
                table: "events",
                columns: new[] { "workspace_id", "tenant_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_workspaces_name",
                table: "workspaces",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "event_targets");

            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropTable(
                name: "workspaces");
        }
    }
}
