using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Immutable.Web.Storage.Migrations.Postgres
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
                type: "text",
                nullable: false,
                defaultValue: "actor",
                collation: "C");

            migrationBuilder.AddColumn<int>(
                name: "incident_window_minutes",
                table: "workspace_settings",
                type: "integer",
                nullable: false,
                defaultValue: 60);

            migrationBuilder.AddColumn<string>(
                name: "incident_id",
                table: "observations",
                type: "text",
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "incident_id",
                table: "alerts",
                type: "text",
                nullable: true,
                collation: "C");

            migrationBuilder.CreateTable(
                name: "incidents",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    group_by = table.Column<string>(type: "text", nullable: false),
                    group_value = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    open_key = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    title = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    severity = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    resolution = table.Column<string>(type: "text", nullable: true),
                    note = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    assignee = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    alert_count = table.Column<int>(type: "integer", nullable: false),
                    observation_count = table.Column<int>(type: "integer", nullable: false),
                    first_activity_at = table.Column<long>(type: "bigint", nullable: false),
                    last_activity_at = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false),
                    resolved_at = table.Column<long>(type: "bigint", nullable: true),
                    resolved_by = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    version = table.Column<int>(type: "integer", nullable: false)
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
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    incident_row_id = table.Column<long>(type: "bigint", nullable: false),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    author_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    author_name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    text = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
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
