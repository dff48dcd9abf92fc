using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ActorDirectoryAndSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "actors",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_name = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_actors", x => new { x.workspace_id, x.actor_id });
                });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_ip_address",
                table: "events",
                columns: new[] { "workspace_id", "ip_address" });

            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_occurred_at",
                table: "events",
                columns: new[] { "workspace_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "IX_actors_workspace_id_actor_name",
                table: "actors",
                columns: new[] { "workspace_id", "actor_name" });

            // The actors seen so far (each with its latest non-null name), then a trigger keeps the table current on
            // every insert into events, whichever code path inserts: global search never scans the events.
            migrationBuilder.Sql("""
                INSERT INTO actors (workspace_id, actor_id, actor_name)
                SELECT e.workspace_id, e.actor_id,
                       (SELECT n.actor_name FROM events n
                        WHERE n.workspace_id = e.workspace_id AND n.actor_id = e.actor_id AND n.actor_name IS NOT NULL
                        ORDER BY n.sequence DESC LIMIT 1)
                FROM events e GROUP BY e.workspace_id, e.actor_id;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER events_actor_directory AFTER INSERT ON events
                BEGIN
                    INSERT INTO actors (workspace_id, actor_id, actor_name) VALUES (NEW.workspace_id, NEW.actor_id, NEW.actor_name)
                    ON CONFLICT (workspace_id, actor_id) DO UPDATE SET actor_name = excluded.actor_name
                    WHERE excluded.actor_name IS NOT NULL AND actors.actor_name IS NOT excluded.actor_name;
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS events_actor_directory;");
            migrationBuilder.DropTable(
                name: "actors");

            migrationBuilder.DropIndex(
                name: "IX_events_workspace_id_ip_address",
                table: "events");

            migrationBuilder.DropIndex(
                name: "IX_events_workspace_id_occurred_at",
                table: "events");
        }
    }
}
