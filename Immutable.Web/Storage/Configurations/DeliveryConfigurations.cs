using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpointRecord>
{
    public void Configure(EntityTypeBuilder<WebhookEndpointRecord> b)
    {
        b.ToTable("webhook_endpoints");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Url).HasColumnName("url");
        b.Property(x => x.Secret).HasColumnName("secret");
        b.Property(x => x.Enabled).HasColumnName("enabled");
        b.Property(x => x.RecordTypes).HasColumnName("record_types");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.Property(x => x.PausedAt).HasColumnName("paused_at");
        b.Property(x => x.PausedReason).HasColumnName("paused_reason");
        b.Property(x => x.ConsecutiveFailures).HasColumnName("consecutive_failures");
        b.Property(x => x.Kind).HasColumnName("kind").HasDefaultValue(WebhookKinds.Endpoint);
        b.Property(x => x.StreamCheckpoint).HasColumnName("stream_checkpoint");
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class DeliveryConfiguration : IEntityTypeConfiguration<DeliveryRecord>
{
    public void Configure(EntityTypeBuilder<DeliveryRecord> b)
    {
        b.ToTable("deliveries");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.EndpointId).HasColumnName("endpoint_id");
        b.Property(x => x.EventType).HasColumnName("event_type");
        b.Property(x => x.RecordId).HasColumnName("record_id");
        b.Property(x => x.Payload).HasColumnName("payload");
        b.Property(x => x.Status).HasColumnName("status");
        b.Property(x => x.Attempts).HasColumnName("attempts");
        b.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.DeliveredAt).HasColumnName("delivered_at");
        b.Property(x => x.LastError).HasColumnName("last_error");
        b.HasIndex(x => x.Id).IsUnique();
        // The dispatcher's query: what is due.
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
        b.HasIndex(x => new { x.EndpointId, x.RowId });
        b.HasOne<WebhookEndpointRecord>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttemptRecord>
{
    public void Configure(EntityTypeBuilder<DeliveryAttemptRecord> b)
    {
        b.ToTable("delivery_attempts");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.DeliveryRowId).HasColumnName("delivery_row_id");
        b.Property(x => x.AttemptedAt).HasColumnName("attempted_at");
        b.Property(x => x.StatusCode).HasColumnName("status_code");
        b.Property(x => x.LatencyMs).HasColumnName("latency_ms");
        b.Property(x => x.Error).HasColumnName("error");
        b.Property(x => x.ResponseExcerpt).HasColumnName("response_excerpt");
        b.HasIndex(x => x.DeliveryRowId);
        b.HasOne<DeliveryRecord>().WithMany().HasForeignKey(x => x.DeliveryRowId).OnDelete(DeleteBehavior.Cascade);
    }
}
