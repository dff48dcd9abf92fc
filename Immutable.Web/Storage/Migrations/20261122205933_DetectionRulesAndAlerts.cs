using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class DetectionRulesAndAlerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "alert_rules",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    rule_type = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    conditions = table.Column<string>(type: "TEXT", nullable: false),
                    channels = table.Column<string>(type: "TEXT", nullable: false),
                    cooldown_minutes = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_rules", x => x.id);
                    table.ForeignKey(
                        name: "FK_alert_rules_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "alerts",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    id = table.Column<string>(type: "TEXT", nullable: true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    rule_name = table.Column<string>(type: "TEXT", nullable: false),
                    rule_type = table.Column<string>(type: "TEXT", nullable: false),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: false),
                    group_key = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    event_id = table.Column<string>(type: "TEXT", nullable: true),
                    @event = table.Column<string>(name: "event", type: "TEXT", nullable: true),
                    context = table.Column<string>(type: "TEXT", nullable: false),
                    related_event_ids = table.Column<string>(type: "TEXT", nullable: false),
                    first_event_at = table.Column<long>(type: "INTEGER", nullable: false),
                    triggered_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_seen_at = table.Column<long>(type: "INTEGER", nullable: false),
                    hit_count = table.Column<int>(type: "INTEGER", nullable: false),
                    notified_at = table.Column<long>(type: "INTEGER", nullable: true),
                    acknowledged_at = table.Column<long>(type: "INTEGER", nullable: true),
                    acknowledged_by = table.Column<string>(type: "TEXT", nullable: true),
                    acknowledgement_note = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alerts", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_alerts_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "detection_checkpoints",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    last_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_detection_checkpoints", x => x.workspace_id);
                    table.ForeignKey(
                        name: "FK_detection_checkpoints_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rule_actor_countries",
                columns: table => new
                {
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    country = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rule_actor_countries", x => new { x.rule_id, x.actor_id, x.country });
                    table.ForeignKey(
                        name: "FK_rule_actor_countries_alert_rules_rule_id",
                        column: x => x.rule_id,
                        principalTable: "alert_rules",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rule_travel_fixes",
                columns: table => new
                {
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    event_id = table.Column<string>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    latitude = table.Column<double>(type: "REAL", nullable: false),
                    longitude = table.Column<double>(type: "REAL", nullable: false),
                    country = table.Column<string>(type: "TEXT", nullable: true),
                    city = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rule_travel_fixes", x => new { x.rule_id, x.actor_id });
                    table.ForeignKey(
                        name: "FK_rule_travel_fixes_alert_rules_rule_id",
                        column: x => x.rule_id,
                        principalTable: "alert_rules",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_alert_rules_workspace_id_created_at",
                table: "alert_rules",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_id",
                table: "alerts",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_actor_id_first_event_at",
                table: "alerts",
                columns: new[] { "workspace_id", "actor_id", "first_event_at" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_event_id",
                table: "alerts",
                columns: new[] { "workspace_id", "event_id" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_row_id",
                table: "alerts",
                columns: new[] { "workspace_id", "row_id" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_rule_id_group_key_status",
                table: "alerts",
                columns: new[] { "workspace_id", "rule_id", "group_key", "status" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_status_first_event_at",
                table: "alerts",
                columns: new[] { "workspace_id", "status", "first_event_at" });

            migrationBuilder.CreateIndex(
                name: "IX_alerts_workspace_id_status_row_id",
                table: "alerts",
                columns: new[] { "workspace_id", "status", "row_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "alerts");

            migrationBuilder.DropTable(
                name: "detection_checkpoints");

            migrationBuilder.DropTable(
                name: "rule_actor_countries");

            migrationBuilder.DropTable(
                name: "rule_travel_fixes");

            migrationBuilder.DropTable(
                name: "alert_rules");
        }
    }
}
