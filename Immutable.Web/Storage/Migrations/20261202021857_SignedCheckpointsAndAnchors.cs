using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class SignedCheckpointsAndAnchors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "anchors",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    period_start = table.Column<long>(type: "INTEGER", nullable: false),
                    period_end = table.Column<long>(type: "INTEGER", nullable: false),
                    first_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    last_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    first_event_hash = table.Column<string>(type: "TEXT", nullable: false),
                    last_event_hash = table.Column<string>(type: "TEXT", nullable: false),
                    merkle_root = table.Column<string>(type: "TEXT", nullable: false),
                    previous_anchor_hash = table.Column<string>(type: "TEXT", nullable: true),
                    anchor_hash = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    key_id = table.Column<string>(type: "TEXT", nullable: false),
                    signature = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    confirmed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    witnesses = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_anchors", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "checkpoints",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    first_sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    head_hash = table.Column<string>(type: "TEXT", nullable: false),
                    merkle_root = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    key_id = table.Column<string>(type: "TEXT", nullable: false),
                    signature = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_checkpoints", x => x.row_id);
                });

            migrationBuilder.CreateTable(
                name: "verifications",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    ran_by = table.Column<string>(type: "TEXT", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: false),
                    valid = table.Column<bool>(type: "INTEGER", nullable: false),
                    events_checked = table.Column<long>(type: "INTEGER", nullable: false),
                    breaks_total = table.Column<int>(type: "INTEGER", nullable: false),
                    first_break = table.Column<string>(type: "TEXT", nullable: true),
                    complete = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verifications", x => x.row_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_anchors_workspace_id_created_at",
                table: "anchors",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_anchors_workspace_id_last_sequence",
                table: "anchors",
                columns: new[] { "workspace_id", "last_sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_checkpoints_workspace_id_sequence",
                table: "checkpoints",
                columns: new[] { "workspace_id", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_verifications_workspace_id_finished_at",
                table: "verifications",
                columns: new[] { "workspace_id", "finished_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "anchors");

            migrationBuilder.DropTable(
                name: "checkpoints");

            migrationBuilder.DropTable(
                name: "verifications");
        }
    }
}
