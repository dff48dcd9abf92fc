using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Immutable.Web.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ActorTimeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_events_workspace_id_actor_id_occurred_at",
                table: "events",
                columns: new[] { "workspace_id", "actor_id", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_events_workspace_id_actor_id_occurred_at",
                table: "events");
        }
    }
}
