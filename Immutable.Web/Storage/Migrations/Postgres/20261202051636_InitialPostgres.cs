using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Immutable.Web.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InitialPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "account_tokens",
                columns: table => new
                {
                    token_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    purpose = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    email = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    role = table.Column<string>(type: "text", nullable: true),
                    expires_at = table.Column<long>(type: "bigint", nullable: false),
                    used_at = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_account_tokens", x => x.token_hash);
                });

            migrationBuilder.CreateTable(
                name: "anchors",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    period_start = table.Column<long>(type: "bigint", nullable: false),
                    period_end = table.Column<long>(type: "bigint", nullable: false),
                    first_sequence = table.Column<long>(type: "bigint", nullable: false),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false),
                    first_event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    merkle_root = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    previous_anchor_hash = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    anchor_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    key_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    signature = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    status = table.Column<string>(type: "text", nullable: false),
                    confirmed_at = table.Column<long>(type: "bigint", nullable: true),
                    witnesses = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_anchors", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "checkpoints",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    first_sequence = table.Column<long>(type: "bigint", nullable: false),
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    head_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    merkle_root = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    key_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    signature = table.Column<string>(type: "text", nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_checkpoints", x => x.row_id);
                });

            migrationBuilder.CreateTable(
                name: "dashboard_sessions",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    user_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    email = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    client_address = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    ended_at = table.Column<long>(type: "bigint", nullable: true),
                    end_reason = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dashboard_sessions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "dashboard_users",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    email = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    password_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    failed_sign_ins = table.Column<int>(type: "integer", nullable: false),
                    locked_until = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dashboard_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "email_items",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    kind = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    record_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    severity = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    title = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    reason = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    country = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    link = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    sent_at = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_email_items", x => x.row_id);
                });

            migrationBuilder.CreateTable(
                name: "monitor_checkpoints",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_monitor_checkpoints", x => x.workspace_id);
                });

            migrationBuilder.CreateTable(
                name: "user_profiles",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    profile_id = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_profiles", x => new { x.workspace_id, x.actor_id });
                });

            migrationBuilder.CreateTable(
                name: "verifications",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ran_by = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    started_at = table.Column<long>(type: "bigint", nullable: false),
                    finished_at = table.Column<long>(type: "bigint", nullable: false),
                    valid = table.Column<bool>(type: "boolean", nullable: false),
                    events_checked = table.Column<long>(type: "bigint", nullable: false),
                    breaks_total = table.Column<int>(type: "integer", nullable: false),
                    first_break = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    complete = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verifications", x => x.row_id);
                });

            migrationBuilder.CreateTable(
                name: "workspaces",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    retention_days = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workspaces", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "alert_rules",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    rule_type = table.Column<string>(type: "text", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    severity = table.Column<string>(type: "text", nullable: false),
                    conditions = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    channels = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    cooldown_minutes = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
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
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    rule_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    rule_name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    rule_type = table.Column<string>(type: "text", nullable: false),
                    severity = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    group_key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    event_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    @event = table.Column<string>(name: "event", type: "text", nullable: true, collation: "C"),
                    context = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    related_event_ids = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    first_event_at = table.Column<long>(type: "bigint", nullable: false),
                    triggered_at = table.Column<long>(type: "bigint", nullable: false),
                    last_seen_at = table.Column<long>(type: "bigint", nullable: false),
                    hit_count = table.Column<int>(type: "integer", nullable: false),
                    notified_at = table.Column<long>(type: "bigint", nullable: true),
                    acknowledged_at = table.Column<long>(type: "bigint", nullable: true),
                    acknowledged_by = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    acknowledgement_note = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    version = table.Column<int>(type: "integer", nullable: false)
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
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    label = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false, collation: "C"),
                    prefix = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    key_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    revoked_at = table.Column<long>(type: "bigint", nullable: true)
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
                name: "archives",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    day = table.Column<long>(type: "bigint", nullable: false),
                    file_name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    event_count = table.Column<long>(type: "bigint", nullable: false),
                    first_sequence = table.Column<long>(type: "bigint", nullable: false),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false),
                    first_previous_event_hash = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    first_event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    first_created_at = table.Column<long>(type: "bigint", nullable: false),
                    last_created_at = table.Column<long>(type: "bigint", nullable: false),
                    size_bytes = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
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
                name: "detection_checkpoints",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
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
                name: "events",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    actor_type = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    action = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    action_category = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    resource = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    resource_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    resource_name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    targets = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    metadata = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    tenant_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    session_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ip_address = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ip_country = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ip_city = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    ip_latitude = table.Column<double>(type: "double precision", nullable: true),
                    ip_longitude = table.Column<double>(type: "double precision", nullable: true),
                    ip_accuracy_radius_km = table.Column<int>(type: "integer", nullable: true),
                    ip_time_zone = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    user_agent = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    idempotency_key = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    version = table.Column<int>(type: "integer", nullable: true),
                    occurred_at = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    previous_event_hash = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    schema_violation = table.Column<bool>(type: "boolean", nullable: false)
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
                name: "exports",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    status = table.Column<string>(type: "text", nullable: false),
                    format = table.Column<string>(type: "text", nullable: false),
                    filters = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    snapshot_sequence = table.Column<long>(type: "bigint", nullable: false),
                    total_rows = table.Column<long>(type: "bigint", nullable: true),
                    rows_written = table.Column<long>(type: "bigint", nullable: false),
                    file_size = table.Column<long>(type: "bigint", nullable: true),
                    file_name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    error_message = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    created_by = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    started_at = table.Column<long>(type: "bigint", nullable: true),
                    completed_at = table.Column<long>(type: "bigint", nullable: true),
                    expires_at = table.Column<long>(type: "bigint", nullable: false),
                    file_deleted_at = table.Column<long>(type: "bigint", nullable: true)
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
                name: "monitors",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    definition = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
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
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    monitor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    monitor_name = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    metric = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    user_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    profile_id = table.Column<long>(type: "bigint", nullable: false),
                    severity = table.Column<string>(type: "text", nullable: false),
                    metric_value = table.Column<double>(type: "double precision", nullable: false),
                    threshold = table.Column<double>(type: "double precision", nullable: false),
                    window_start = table.Column<long>(type: "bigint", nullable: false),
                    window_end = table.Column<long>(type: "bigint", nullable: false),
                    message = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    status = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    notification_required = table.Column<bool>(type: "boolean", nullable: false),
                    notified_at = table.Column<long>(type: "bigint", nullable: true),
                    related_event_count = table.Column<int>(type: "integer", nullable: false),
                    acknowledged_at = table.Column<long>(type: "bigint", nullable: true),
                    acknowledged_by = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    acknowledgement_note = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    version = table.Column<int>(type: "integer", nullable: false)
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
                name: "retention_cuts",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false),
                    last_event_hash = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    last_created_at = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
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

            migrationBuilder.CreateTable(
                name: "webhook_endpoints",
                columns: table => new
                {
                    id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    url = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    secret = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    record_types = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<long>(type: "bigint", nullable: false),
                    paused_at = table.Column<long>(type: "bigint", nullable: true),
                    paused_reason = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    consecutive_failures = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false, defaultValue: "endpoint", collation: "C"),
                    stream_checkpoint = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_endpoints", x => x.id);
                    table.ForeignKey(
                        name: "FK_webhook_endpoints_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "workspace_members",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    email = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    name = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    role = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workspace_members", x => new { x.workspace_id, x.email });
                    table.ForeignKey(
                        name: "FK_workspace_members_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "workspace_settings",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    viewer_secret = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    frame_ancestors = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    ip_allowlist = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    schema_mode = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    schema_patterns = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    updated_at = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workspace_settings", x => x.workspace_id);
                    table.ForeignKey(
                        name: "FK_workspace_settings_workspaces_workspace_id",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rule_actor_countries",
                columns: table => new
                {
                    rule_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    country = table.Column<string>(type: "text", nullable: false, collation: "C")
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
                    rule_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    actor_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    event_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    at = table.Column<long>(type: "bigint", nullable: false),
                    latitude = table.Column<double>(type: "double precision", nullable: false),
                    longitude = table.Column<double>(type: "double precision", nullable: false),
                    country = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    city = table.Column<string>(type: "text", nullable: true, collation: "C")
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

            migrationBuilder.CreateTable(
                name: "event_targets",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    event_row_id = table.Column<long>(type: "bigint", nullable: false),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    type = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    target_id = table.Column<string>(type: "text", nullable: true, collation: "C")
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

            migrationBuilder.CreateTable(
                name: "observation_events",
                columns: table => new
                {
                    observation_row_id = table.Column<long>(type: "bigint", nullable: false),
                    event_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    occurred_at = table.Column<long>(type: "bigint", nullable: false)
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

            migrationBuilder.CreateTable(
                name: "deliveries",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    workspace_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    endpoint_id = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    event_type = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    record_id = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    payload = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    status = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<long>(type: "bigint", nullable: false),
                    delivered_at = table.Column<long>(type: "bigint", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_deliveries", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_deliveries_webhook_endpoints_endpoint_id",
                        column: x => x.endpoint_id,
                        principalTable: "webhook_endpoints",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "delivery_attempts",
                columns: table => new
                {
                    row_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    delivery_row_id = table.Column<long>(type: "bigint", nullable: false),
                    attempted_at = table.Column<long>(type: "bigint", nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: true),
                    latency_ms = table.Column<double>(type: "double precision", nullable: false),
                    error = table.Column<string>(type: "text", nullable: true, collation: "C"),
                    response_excerpt = table.Column<string>(type: "text", nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_delivery_attempts", x => x.row_id);
                    table.ForeignKey(
                        name: "FK_delivery_attempts_deliveries_delivery_row_id",
                        column: x => x.delivery_row_id,
                        principalTable: "deliveries",
                        principalColumn: "row_id",
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
                name: "IX_archives_workspace_id_day",
                table: "archives",
                columns: new[] { "workspace_id", "day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_checkpoints_workspace_id_sequence",
                table: "checkpoints",
                columns: new[] { "workspace_id", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_dashboard_sessions_user_id_ended_at",
                table: "dashboard_sessions",
                columns: new[] { "user_id", "ended_at" });

            migrationBuilder.CreateIndex(
                name: "IX_dashboard_users_email",
                table: "dashboard_users",
                column: "email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_endpoint_id_row_id",
                table: "deliveries",
                columns: new[] { "endpoint_id", "row_id" });

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_id",
                table: "deliveries",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_deliveries_status_next_attempt_at",
                table: "deliveries",
                columns: new[] { "status", "next_attempt_at" });

            migrationBuilder.CreateIndex(
                name: "IX_delivery_attempts_delivery_row_id",
                table: "delivery_attempts",
                column: "delivery_row_id");

            migrationBuilder.CreateIndex(
                name: "IX_email_items_sent_at_workspace_id",
                table: "email_items",
                columns: new[] { "sent_at", "workspace_id" });

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
                name: "IX_events_workspace_id_actor_id_occurred_at",
                table: "events",
                columns: new[] { "workspace_id", "actor_id", "occurred_at" });

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

            migrationBuilder.CreateIndex(
                name: "IX_verifications_workspace_id_finished_at",
                table: "verifications",
                columns: new[] { "workspace_id", "finished_at" });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_endpoints_workspace_id_created_at",
                table: "webhook_endpoints",
                columns: new[] { "workspace_id", "created_at" });

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
                name: "account_tokens");

            migrationBuilder.DropTable(
                name: "alerts");

            migrationBuilder.DropTable(
                name: "anchors");

            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "archives");

            migrationBuilder.DropTable(
                name: "checkpoints");

            migrationBuilder.DropTable(
                name: "dashboard_sessions");

            migrationBuilder.DropTable(
                name: "dashboard_users");

            migrationBuilder.DropTable(
                name: "delivery_attempts");

            migrationBuilder.DropTable(
                name: "detection_checkpoints");

            migrationBuilder.DropTable(
                name: "email_items");

            migrationBuilder.DropTable(
                name: "event_targets");

            migrationBuilder.DropTable(
                name: "exports");

            migrationBuilder.DropTable(
                name: "monitor_checkpoints");

            migrationBuilder.DropTable(
                name: "monitors");

            migrationBuilder.DropTable(
                name: "observation_events");

            migrationBuilder.DropTable(
                name: "retention_cuts");

            migrationBuilder.DropTable(
                name: "rule_actor_countries");

            migrationBuilder.DropTable(
                name: "rule_travel_fixes");

            migrationBuilder.DropTable(
                name: "user_profiles");

            migrationBuilder.DropTable(
                name: "verifications");

            migrationBuilder.DropTable(
                name: "workspace_members");

            migrationBuilder.DropTable(
                name: "workspace_settings");

            migrationBuilder.DropTable(
                name: "deliveries");

            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropTable(
                name: "observations");

            migrationBuilder.DropTable(
                name: "alert_rules");

            migrationBuilder.DropTable(
                name: "webhook_endpoints");

            migrationBuilder.DropTable(
                name: "workspaces");
        }
    }
}
