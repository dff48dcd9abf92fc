using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class AlertRuleConfiguration : IEntityTypeConfiguration<AlertRuleRecord>
{
    public void Configure(EntityTypeBuilder<AlertRuleRecord> b)
    {
        b.ToTable("alert_rules");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Name).HasColumnName("name");
        b.Property(x => x.RuleType).HasColumnName("rule_type").HasConversion<WireNameConverter<RuleType>>();
        b.Property(x => x.Enabled).HasColumnName("enabled");
        b.Property(x => x.Severity).HasColumnName("severity").HasConversion<WireNameConverter<Severity>>();
        b.Property(x => x.Conditions).HasColumnName("conditions");
        b.Property(x => x.Channels).HasColumnName("channels");
        b.Property(x => x.CooldownMinutes).HasColumnName("cooldown_minutes");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class AlertConfiguration : IEntityTypeConfiguration<AlertRecord>
{
    public void Configure(EntityTypeBuilder<AlertRecord> b)
    {
        b.ToTable("alerts");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.RuleId).HasColumnName("rule_id");
        b.Property(x => x.RuleName).HasColumnName("rule_name");
        b.Property(x => x.RuleType).HasColumnName("rule_type").HasConversion<WireNameConverter<RuleType>>();
        b.Property(x => x.Severity).HasColumnName("severity").HasConversion<WireNameConverter<Severity>>();
        b.Property(x => x.Status).HasColumnName("status").HasConversion<WireNameConverter<AlertStatus>>();
        b.Property(x => x.Reason).HasColumnName("reason");
        b.Property(x => x.GroupKey).HasColumnName("group_key");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.EventId).HasColumnName("event_id");
        b.Property(x => x.Event).HasColumnName("event");
        b.Property(x => x.Context).HasColumnName("context");
        b.Property(x => x.RelatedEventIds).HasColumnName("related_event_ids");
        b.Property(x => x.FirstEventAt).HasColumnName("first_event_at");
        b.Property(x => x.TriggeredAt).HasColumnName("triggered_at");
        b.Property(x => x.LastSeenAt).HasColumnName("last_seen_at");
        b.Property(x => x.HitCount).HasColumnName("hit_count");
        b.Property(x => x.NotifiedAt).HasColumnName("notified_at");
        b.Property(x => x.AcknowledgedAt).HasColumnName("acknowledged_at");
        b.Property(x => x.AcknowledgedBy).HasColumnName("acknowledged_by");
        b.Property(x => x.AcknowledgementNote).HasColumnName("acknowledgement_note");
        // Compared and bumped by the triage service's conditional update, not an EF concurrency token: detection
        // updates open alerts (hit counts) and must not fail because an analyst acknowledged one meanwhile.
        b.Property(x => x.Version).HasColumnName("version");
        b.Property(x => x.IncidentId).HasColumnName("incident_id");
        b.HasIndex(x => new { x.WorkspaceId, x.IncidentId });
        // Deterministic ids: evaluating the same event twice (crash, restart) cannot store a second alert.
        b.HasIndex(x => x.Id).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.RowId });
        b.HasIndex(x => new { x.WorkspaceId, x.RuleId, x.GroupKey, x.Status });
        b.HasIndex(x => new { x.WorkspaceId, x.ActorId, x.FirstEventAt });
        b.HasIndex(x => new { x.WorkspaceId, x.Status, x.RowId });
        // Stream detection preloads the open alerts that can still absorb hits (first event within the cooldown).
        b.HasIndex(x => new { x.WorkspaceId, x.Status, x.FirstEventAt });
        b.HasIndex(x => new { x.WorkspaceId, x.EventId });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class DetectionCheckpointConfiguration : IEntityTypeConfiguration<DetectionCheckpointRecord>
{
    public void Configure(EntityTypeBuilder<DetectionCheckpointRecord> b)
    {
        b.ToTable("detection_checkpoints");
        b.HasKey(x => x.WorkspaceId);
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.LastSequence).HasColumnName("last_sequence");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class RuleActorCountryConfiguration : IEntityTypeConfiguration<RuleActorCountryRecord>
{
    public void Configure(EntityTypeBuilder<RuleActorCountryRecord> b)
    {
        b.ToTable("rule_actor_countries");
        b.HasKey(x => new { x.RuleId, x.ActorId, x.Country });
        b.Property(x => x.RuleId).HasColumnName("rule_id");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.Country).HasColumnName("country");
        b.HasOne<AlertRuleRecord>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RuleTravelFixConfiguration : IEntityTypeConfiguration<RuleTravelFixRecord>
{
    public void Configure(EntityTypeBuilder<RuleTravelFixRecord> b)
    {
        b.ToTable("rule_travel_fixes");
        b.HasKey(x => new { x.RuleId, x.ActorId });
        b.Property(x => x.RuleId).HasColumnName("rule_id");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.EventId).HasColumnName("event_id");
        b.Property(x => x.At).HasColumnName("at");
        b.Property(x => x.Latitude).HasColumnName("latitude");
        b.Property(x => x.Longitude).HasColumnName("longitude");
        b.Property(x => x.Country).HasColumnName("country");
        b.Property(x => x.City).HasColumnName("city");
        b.HasOne<AlertRuleRecord>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Cascade);
    }
}
