using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class WorkspaceConfiguration : IEntityTypeConfiguration<WorkspaceRecord>
{
    public void Configure(EntityTypeBuilder<WorkspaceRecord> b)
    {
        b.ToTable("workspaces");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.Name).HasColumnName("name").HasMaxLength(200);
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.RetentionDays).HasColumnName("retention_days");
        b.HasIndex(x => x.Name).IsUnique();
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKeyRecord>
{
    public void Configure(EntityTypeBuilder<ApiKeyRecord> b)
    {
        b.ToTable("api_keys");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Label).HasColumnName("label").HasMaxLength(200);
        b.Property(x => x.Prefix).HasColumnName("prefix");
        b.Property(x => x.KeyHash).HasColumnName("key_hash");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.RevokedAt).HasColumnName("revoked_at");
        b.Property(x => x.LastUsedAt).HasColumnName("last_used_at");
        b.HasIndex(x => x.KeyHash).IsUnique();
        b.HasIndex(x => x.Prefix);
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class EventConfiguration : IEntityTypeConfiguration<EventRecord>
{
    public void Configure(EntityTypeBuilder<EventRecord> b)
    {
        b.ToTable("events");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Sequence).HasColumnName("sequence");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.ActorName).HasColumnName("actor_name");
        b.Property(x => x.ActorType).HasColumnName("actor_type");
        b.Property(x => x.Action).HasColumnName("action");
        b.Property(x => x.ActionCategory).HasColumnName("action_category");
        b.Property(x => x.Resource).HasColumnName("resource");
        b.Property(x => x.ResourceId).HasColumnName("resource_id");
        b.Property(x => x.ResourceName).HasColumnName("resource_name");
        b.Property(x => x.Targets).HasColumnName("targets");
        b.Property(x => x.Metadata).HasColumnName("metadata");
        b.Property(x => x.TenantId).HasColumnName("tenant_id");
        b.Property(x => x.SessionId).HasColumnName("session_id");
        b.Property(x => x.IpAddress).HasColumnName("ip_address");
        b.Property(x => x.IpCountry).HasColumnName("ip_country");
        b.Property(x => x.IpCity).HasColumnName("ip_city");
        b.Property(x => x.IpLatitude).HasColumnName("ip_latitude");
        b.Property(x => x.IpLongitude).HasColumnName("ip_longitude");
        b.Property(x => x.IpAccuracyRadiusKm).HasColumnName("ip_accuracy_radius_km");
        b.Property(x => x.IpTimeZone).HasColumnName("ip_time_zone");
        b.Property(x => x.UserAgent).HasColumnName("user_agent");
        b.Property(x => x.IdempotencyKey).HasColumnName("idempotency_key");
        b.Property(x => x.Version).HasColumnName("version");
        b.Property(x => x.OccurredAt).HasColumnName("occurred_at");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.PreviousEventHash).HasColumnName("previous_event_hash");
        b.Property(x => x.EventHash).HasColumnName("event_hash");
        b.Property(x => x.SchemaViolation).HasColumnName("schema_violation");

        b.HasIndex(x => x.Id).IsUnique();
        // The chain: one row per (workspace, sequence). Also the default newest-first listing.
        b.HasIndex(x => new { x.WorkspaceId, x.Sequence }).IsUnique();
        // Filters that matter, each ending in sequence so "newest N" needs no sort.
        b.HasIndex(x => new { x.WorkspaceId, x.ActorId, x.Sequence });
        // An actor's events by client time: monitors' per-user windows, timelines by time.
        b.HasIndex(x => new { x.WorkspaceId, x.ActorId, x.OccurredAt });
        b.HasIndex(x => new { x.WorkspaceId, x.Action, x.Sequence });
        b.HasIndex(x => new { x.WorkspaceId, x.SessionId, x.Sequence });
        b.HasIndex(x => new { x.WorkspaceId, x.TenantId, x.Sequence });
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        // The dashboard's time ranges filter on event time by default; global search matches IP prefixes.
        b.HasIndex(x => new { x.WorkspaceId, x.OccurredAt });
        b.HasIndex(x => new { x.WorkspaceId, x.IpAddress });
        b.HasIndex(x => new { x.WorkspaceId, x.IdempotencyKey })
            .IsUnique()
            .HasFilter("idempotency_key IS NOT NULL");
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class ActorConfiguration : IEntityTypeConfiguration<ActorRecord>
{
    public void Configure(EntityTypeBuilder<ActorRecord> b)
    {
        b.ToTable("actors");
        // The key serves id prefixes (a range on actor_id); names are matched within the workspace's rows.
        b.HasKey(x => new { x.WorkspaceId, x.ActorId });
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.ActorName).HasColumnName("actor_name");
        b.HasIndex(x => new { x.WorkspaceId, x.ActorName });
    }
}

internal sealed class EventTargetConfiguration : IEntityTypeConfiguration<EventTargetRecord>
{
    public void Configure(EntityTypeBuilder<EventTargetRecord> b)
    {
        b.ToTable("event_targets");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.EventRowId).HasColumnName("event_row_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Type).HasColumnName("type");
        b.Property(x => x.TargetId).HasColumnName("target_id");
        b.HasIndex(x => new { x.WorkspaceId, x.Type, x.TargetId });
        b.HasIndex(x => x.EventRowId);
        b.HasOne<EventRecord>().WithMany().HasForeignKey(x => x.EventRowId);
    }
}

internal sealed class WorkspaceSettingsConfiguration : IEntityTypeConfiguration<WorkspaceSettingsRecord>
{
    public void Configure(EntityTypeBuilder<WorkspaceSettingsRecord> b)
    {
        b.ToTable("workspace_settings");
        b.HasKey(x => x.WorkspaceId);
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.ViewerSecret).HasColumnName("viewer_secret");
        b.Property(x => x.FrameAncestors).HasColumnName("frame_ancestors");
        b.Property(x => x.IpAllowlist).HasColumnName("ip_allowlist");
        b.Property(x => x.SchemaMode).HasColumnName("schema_mode");
        b.Property(x => x.SchemaPatterns).HasColumnName("schema_patterns");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}
