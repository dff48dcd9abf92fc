using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class ExportConfiguration : IEntityTypeConfiguration<ExportRecord>
{
    public void Configure(EntityTypeBuilder<ExportRecord> b)
    {
        b.ToTable("exports");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Status).HasColumnName("status").HasConversion<WireNameConverter<ExportStatus>>();
        b.Property(x => x.Format).HasColumnName("format").HasConversion<WireNameConverter<ExportFormat>>();
        b.Property(x => x.Filters).HasColumnName("filters");
        b.Property(x => x.SnapshotSequence).HasColumnName("snapshot_sequence");
        b.Property(x => x.TotalRows).HasColumnName("total_rows");
        b.Property(x => x.RowsWritten).HasColumnName("rows_written");
        b.Property(x => x.FileSize).HasColumnName("file_size");
        b.Property(x => x.FileName).HasColumnName("file_name");
        b.Property(x => x.ErrorMessage).HasColumnName("error_message");
        b.Property(x => x.CreatedBy).HasColumnName("created_by");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.StartedAt).HasColumnName("started_at");
        b.Property(x => x.CompletedAt).HasColumnName("completed_at");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.FileDeletedAt).HasColumnName("file_deleted_at");
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasIndex(x => new { x.WorkspaceId, x.Status });
        b.HasIndex(x => x.ExpiresAt);
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class ArchiveConfiguration : IEntityTypeConfiguration<ArchiveRecord>
{
    public void Configure(EntityTypeBuilder<ArchiveRecord> b)
    {
        b.ToTable("archives");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Day).HasColumnName("day");
        b.Property(x => x.FileName).HasColumnName("file_name");
        b.Property(x => x.EventCount).HasColumnName("event_count");
        b.Property(x => x.FirstSequence).HasColumnName("first_sequence");
        b.Property(x => x.LastSequence).HasColumnName("last_sequence");
        b.Property(x => x.FirstPreviousEventHash).HasColumnName("first_previous_event_hash");
        b.Property(x => x.FirstEventHash).HasColumnName("first_event_hash");
        b.Property(x => x.LastEventHash).HasColumnName("last_event_hash");
        b.Property(x => x.FirstCreatedAt).HasColumnName("first_created_at");
        b.Property(x => x.LastCreatedAt).HasColumnName("last_created_at");
        b.Property(x => x.SizeBytes).HasColumnName("size_bytes");
        b.Property(x => x.Sha256).HasColumnName("sha256");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        // One file per workspace per day: a day is archived once (created_at never goes back, so a past day is final).
        b.HasIndex(x => new { x.WorkspaceId, x.Day }).IsUnique();
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class RetentionCutConfiguration : IEntityTypeConfiguration<RetentionCutRecord>
{
    public void Configure(EntityTypeBuilder<RetentionCutRecord> b)
    {
        b.ToTable("retention_cuts");
        b.HasKey(x => x.WorkspaceId);
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.LastSequence).HasColumnName("last_sequence");
        b.Property(x => x.LastEventHash).HasColumnName("last_event_hash");
        b.Property(x => x.LastCreatedAt).HasColumnName("last_created_at");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}
