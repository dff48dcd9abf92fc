using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class MonitorConfiguration : IEntityTypeConfiguration<MonitorRecord>
{
    public void Configure(EntityTypeBuilder<MonitorRecord> b)
    {
        b.ToTable("monitors");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Name).HasColumnName("name");
        b.Property(x => x.Enabled).HasColumnName("enabled");
        b.Property(x => x.Definition).HasColumnName("definition");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class ObservationConfiguration : IEntityTypeConfiguration<ObservationRecord>
{
    public void Configure(EntityTypeBuilder<ObservationRecord> b)
    {
        b.ToTable("observations");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.MonitorId).HasColumnName("monitor_id");
        b.Property(x => x.MonitorName).HasColumnName("monitor_name");
        b.Property(x => x.Metric).HasColumnName("metric");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.ProfileId).HasColumnName("profile_id");
        b.Property(x => x.Severity).HasColumnName("severity").HasConversion<WireNameConverter<Severity>>();
        b.Property(x => x.MetricValue).HasColumnName("metric_value");
        b.Property(x => x.Threshold).HasColumnName("threshold");
        b.Property(x => x.WindowStart).HasColumnName("window_start");
        b.Property(x => x.WindowEnd).HasColumnName("window_end");
        b.Property(x => x.Message).HasColumnName("message");
        b.Property(x => x.Status).HasColumnName("status").HasConversion<WireNameConverter<AlertStatus>>();
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.NotificationRequired).HasColumnName("notification_required");
        b.Property(x => x.NotifiedAt).HasColumnName("notified_at");
        b.Property(x => x.RelatedEventCount).HasColumnName("related_event_count");
        b.Property(x => x.AcknowledgedAt).HasColumnName("acknowledged_at");
        b.Property(x => x.AcknowledgedBy).HasColumnName("acknowledged_by");
        b.Property(x => x.AcknowledgementNote).HasColumnName("acknowledgement_note");
        // Compared and bumped by the triage service's conditional update, not an EF concurrency token: detection
        // updates open alerts (hit counts) and must not fail because an analyst acknowledged one meanwhile.
        b.Property(x => x.Version).HasColumnName("version");
        b.Property(x => x.IncidentId).HasColumnName("incident_id");
        b.HasIndex(x => new { x.WorkspaceId, x.IncidentId });
        b.HasIndex(x => x.Id).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.RowId });
        b.HasIndex(x => new { x.WorkspaceId, x.MonitorId, x.UserId, x.WindowEnd });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class ObservationEventConfiguration : IEntityTypeConfiguration<ObservationEventRecord>
{
    public void Configure(EntityTypeBuilder<ObservationEventRecord> b)
    {
        b.ToTable("observation_events");
        b.HasKey(x => new { x.ObservationRowId, x.EventId });
        b.Property(x => x.ObservationRowId).HasColumnName("observation_row_id");
        b.Property(x => x.EventId).HasColumnName("event_id");
        b.Property(x => x.OccurredAt).HasColumnName("occurred_at");
        b.HasIndex(x => new { x.ObservationRowId, x.OccurredAt });
        b.HasOne<ObservationRecord>().WithMany().HasForeignKey(x => x.ObservationRowId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UserProfileConfiguration : IEntityTypeConfiguration<UserProfileRecord>
{
    public void Configure(EntityTypeBuilder<UserProfileRecord> b)
    {
        b.ToTable("user_profiles");
        b.HasKey(x => new { x.WorkspaceId, x.ActorId });
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.ProfileId).HasColumnName("profile_id");
        b.HasIndex(x => new { x.WorkspaceId, x.ProfileId }).IsUnique();
    }
}

internal sealed class MonitorCheckpointConfiguration : IEntityTypeConfiguration<MonitorCheckpointRecord>
{
    public void Configure(EntityTypeBuilder<MonitorCheckpointRecord> b)
    {
        b.ToTable("monitor_checkpoints");
        b.HasKey(x => x.WorkspaceId);
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.LastSequence).HasColumnName("last_sequence");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
    }
}

internal sealed class MonitorStateConfiguration : IEntityTypeConfiguration<MonitorStateRecord>
{
    public void Configure(EntityTypeBuilder<MonitorStateRecord> b)
    {
        b.ToTable("monitor_states");
        b.HasKey(x => new { x.WorkspaceId, x.MonitorId });
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.MonitorId).HasColumnName("monitor_id");
        b.Property(x => x.DefinitionHash).HasColumnName("definition_hash");
        b.Property(x => x.SinceSequence).HasColumnName("since_sequence");
        b.Property(x => x.ThroughSequence).HasColumnName("through_sequence");
    }
}

internal sealed class MonitorBucketDayConfiguration : IEntityTypeConfiguration<MonitorBucketDayRecord>
{
    public void Configure(EntityTypeBuilder<MonitorBucketDayRecord> b)
    {
        b.ToTable("monitor_bucket_days");
        // User first: one range read per user serves every monitor of a pass.
        b.HasKey(x => new { x.WorkspaceId, x.UserId, x.Day, x.MonitorId });
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.Day).HasColumnName("day");
        b.Property(x => x.MonitorId).HasColumnName("monitor_id");
        b.Property(x => x.Buckets).HasColumnName("buckets");
    }
}
