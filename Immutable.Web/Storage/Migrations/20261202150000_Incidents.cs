using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Incidents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Existing workspaces get the defaults: group by actor within 60 minutes.
            migrationBuilder.AddColumn<string>(
                name: "incident_grouping",
                table: "workspace_settings",
                type: "TEXT",
                nullable: false,
                defaultValue: "actor");

            migrationBuilder.AddColumn<int>(
                name: "incident_window_minutes",
                table: "workspace_settings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 60);

            migrationBuilder.AddColumn<string>(
                name: "incident_id",
                table: "observations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "incident_id",
                table: "alerts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "incidents",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    id = table.Column<string>(type: "TEXT", nullable: true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    group_by = table.Column<string>(type: "TEXT", nullable: false),
                    group_value = table.Column<string>(type: "TEXT", nullable: false),
                    open_key = table.Column<string>(type: "TEXT", nullable: true),
                    title = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_name = table.Column<string>(type: "TEXT", nullable: true),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    resolution = table.Column<string>(type: "TEXT", nullable: true),
                    note = table.Column<string>(type: "TEXT", nullable: true),
                    assignee = table.Column<string>(type: "TEXT", nullable: true),
                    alert_count = table.Column<int>(type: "INTEGER", nullable: false),
                    observation_count = table.Column<int>(type: "INTEGER", nullable: false),
                    first_activity_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_activity_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resolved_at = table.Column<long>(type: "INTEGER", nullable: true),
                    resolved_by = table.Column<string>(type: "TEXT", nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incidents", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_incidents_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "incident_comments",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    incident_row_id = table.Column<long>(type: "INTEGER", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    author_id = table.Column<string>(type: "TEXT", nullable: false),
                    author_name = table.Column<string>(type: "TEXT", nullable: true),
                    text = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_incident_comments", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_incident_comments_incidents_incident_row_id",
                        column: x => x.incident_row_id,
                        principalTable: "incidents",
                        principalColumn: "row_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_observations_workspace_id_incident_id",
                table: "observations",
                columns: new[] { "workspace_id", "incident_id" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_incident_id",
                table: "alerts",
                columns: new[] { "workspace_id", "incident_id" });

            migrationBuilder.CreateIndex(
                name: "IX_incident_comments_incident_row_id_row_id",
                table: "incident_comments",
                columns: new[] { "incident_row_id", "row_id" });

            migrationBuilder.CreateIndex(
                name: "IX_incidents_id",
                table: "incidents",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_incidents_workspace_id_actor_id",
                table: "incidents",
                columns: new[] { "workspace_id", "actor_id" });

            migrationBuilder.CreateIndex(
                name: "IX_incidents_workspace_id_open_key",
                table: "incidents",
                columns: new[] { "workspace_id", "open_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_incidents_workspace_id_row_id",
                table: "incidents",
                columns: new[] { "workspace_id", "row_id" });

            migrationBuilder.CreateIndex(
                name: "IX_incidents_workspace_id_status_last_activity_at",
                table: "incidents",
                columns: new[] { "workspace_id", "status", "last_activity_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "incident_comments");

            migrationBuilder.DropTable(
                name: "incidents");

            migrationBuilder.DropIndex(
                name: "IX_observations_workspace_id_incident_id",
                table: "observations");

            migrationBuilder.DropIndex(
                name: "IX_alerts_workspace_id_incident_id",
                table: "alerts");

            migrationBuilder.DropColumn(
                name: "incident_grouping",
                table: "workspace_settings");

            migrationBuilder.DropColumn(
                name: "incident_window_minutes",
                table: "workspace_settings");

            migrationBuilder.DropColumn(
                name: "incident_id",
                table: "observations");

            migrationBuilder.DropColumn(
                name: "incident_id",
                table: "alerts");
        }
    }
}
