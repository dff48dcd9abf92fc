using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class MonitorsAndObservations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "monitor_checkpoints",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    last_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monitor_checkpoints", x => x.workspace_id);
                });

            migrationBuilder.CreateTable(
                name: "monitors",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monitors", x => x.id);
                    table.ForeignKey(
                        name: "FK_monitors_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "observations",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    id = table.Column<string>(type: "TEXT", nullable: true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    monitor_id = table.Column<string>(type: "TEXT", nullable: false),
                    monitor_name = table.Column<string>(type: "TEXT", nullable: false),
                    metric = table.Column<string>(type: "TEXT", nullable: false),
                    user_id = table.Column<string>(type: "TEXT", nullable: false),
                    profile_id = table.Column<long>(type: "INTEGER", nullable: false),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    metric_value = table.Column<double>(type: "REAL", nullable: false),
                    threshold = table.Column<double>(type: "REAL", nullable: false),
                    window_start = table.Column<long>(type: "INTEGER", nullable: false),
                    window_end = table.Column<long>(type: "INTEGER", nullable: false),
                    message = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    notification_required = table.Column<bool>(type: "INTEGER", nullable: false),
                    notified_at = table.Column<long>(type: "INTEGER", nullable: true),
                    related_event_count = table.Column<int>(type: "INTEGER", nullable: false),
                    acknowledged_at = table.Column<long>(type: "INTEGER", nullable: true),
                    acknowledged_by = table.Column<string>(type: "TEXT", nullable: true),
                    acknowledgement_note = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_observations", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_observations_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_profiles",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    profile_id = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_profiles", x => new { x.workspace_id, x.actor_id });
                });

            migrationBuilder.CreateTable(
                name: "observation_events",
                columns: table => new
                {
                    observation_row_id = table.Column<long>(type: "INTEGER", nullable: false),
                    event_id = table.Column<string>(type: "TEXT", nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_observation_events", x => new { x.observation_row_id, x.event_id });
                    table.ForeignKey(
                        name: "FK_observation_events_observations_observation_row_id",
                        column: x => x.observation_row_id,
                        principalTable: "observations",
                        principalColumn: "row_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_monitors_workspace_id_created_at",
                table: "monitors",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_observation_events_observation_row_id_occurred_at",
                table: "observation_events",
                columns: new[] { "observation_row_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "IX_observations_id",
                table: "observations",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_observations_workspace_id_monitor_id_user_id_window_end",
                table: "observations",
                columns: new[] { "workspace_id", "monitor_id", "user_id", "window_end" });

            migrationBuilder.CreateIndex(
                name: "IX_observations_workspace_id_row_id",
                table: "observations",
                columns: new[] { "workspace_id", "row_id" });

            migrationBuilder.CreateIndex(
                name: "IX_user_profiles_workspace_id_profile_id",
                table: "user_profiles",
                columns: new[] { "workspace_id", "profile_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "monitor_checkpoints");

            migrationBuilder.DropTable(
                name: "monitors");

            migrationBuilder.DropTable(
                name: "observation_events");

            migrationBuilder.DropTable(
                name: "user_profiles");

            migrationBuilder.DropTable(
                name: "observations");
        }
    }
}
