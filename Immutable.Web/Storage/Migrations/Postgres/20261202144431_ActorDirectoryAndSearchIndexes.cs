using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations.Postgres
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
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_name = table.Column<string>(type: "text", nullable: true, collation: "C")
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
            // every insert into events (ON CONFLICT DO NOTHING inserts that insert nothing do not fire it).
            migrationBuilder.Sql("""
                INSERT INTO actors (workspace_id, actor_id, actor_name)
                SELECT DISTINCT ON (workspace_id, actor_id) workspace_id, actor_id, actor_name FROM events
                ORDER BY workspace_id, actor_id, (actor_name IS NULL), sequence DESC;
                """);
            migrationBuilder.Sql("""
                CREATE FUNCTION events_actor_directory() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO actors (workspace_id, actor_id, actor_name) VALUES (NEW.workspace_id, NEW.actor_id, NEW.actor_name)
                    ON CONFLICT (workspace_id, actor_id) DO UPDATE SET actor_name = EXCLUDED.actor_name
                    WHERE EXCLUDED.actor_name IS NOT NULL AND actors.actor_name IS DISTINCT FROM EXCLUDED.actor_name;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER events_actor_directory AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_actor_directory();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS events_actor_directory ON events; DROP FUNCTION IF EXISTS events_actor_directory();");
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
