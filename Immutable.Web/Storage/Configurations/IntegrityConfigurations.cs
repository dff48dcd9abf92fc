using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class CheckpointConfiguration : IEntityTypeConfiguration<CheckpointRecord>
{
    public void Configure(EntityTypeBuilder<CheckpointRecord> b)
    {
        b.ToTable("checkpoints");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.FirstSequence).HasColumnName("first_sequence");
        b.Property(x => x.Sequence).HasColumnName("sequence");
        b.Property(x => x.HeadHash).HasColumnName("head_hash");
        b.Property(x => x.MerkleRoot).HasColumnName("merkle_root");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.KeyId).HasColumnName("key_id");
        b.Property(x => x.Signature).HasColumnName("signature");
        b.HasIndex(x => new { x.WorkspaceId, x.Sequence }).IsUnique();
    }
}

internal sealed class AnchorConfiguration : IEntityTypeConfiguration<AnchorRecord>
{
    public void Configure(EntityTypeBuilder<AnchorRecord> b)
    {
        b.ToTable("anchors");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.PeriodStart).HasColumnName("period_start");
        b.Property(x => x.PeriodEnd).HasColumnName("period_end");
        b.Property(x => x.FirstSequence).HasColumnName("first_sequence");
        b.Property(x => x.LastSequence).HasColumnName("last_sequence");
        b.Property(x => x.FirstEventHash).HasColumnName("first_event_hash");
        b.Property(x => x.LastEventHash).HasColumnName("last_event_hash");
        b.Property(x => x.MerkleRoot).HasColumnName("merkle_root");
        b.Property(x => x.PreviousAnchorHash).HasColumnName("previous_anchor_hash");
        b.Property(x => x.AnchorHash).HasColumnName("anchor_hash");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.KeyId).HasColumnName("key_id");
        b.Property(x => x.Signature).HasColumnName("signature");
        b.Property(x => x.Status).HasColumnName("status").HasConversion<WireNameConverter<AnchorStatus>>();
        b.Property(x => x.ConfirmedAt).HasColumnName("confirmed_at");
        b.Property(x => x.Witnesses).HasColumnName("witnesses");
        b.HasIndex(x => new { x.WorkspaceId, x.LastSequence }).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
    }
}

internal sealed class VerificationConfiguration : IEntityTypeConfiguration<VerificationRecord>
{
    public void Configure(EntityTypeBuilder<VerificationRecord> b)
    {
        b.ToTable("verifications");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.RanBy).HasColumnName("ran_by");
        b.Property(x => x.StartedAt).HasColumnName("started_at");
        b.Property(x => x.FinishedAt).HasColumnName("finished_at");
        b.Property(x => x.Valid).HasColumnName("valid");
        b.Property(x => x.EventsChecked).HasColumnName("events_checked");
        b.Property(x => x.BreaksTotal).HasColumnName("breaks_total");
        b.Property(x => x.FirstBreak).HasColumnName("first_break");
        b.Property(x => x.Complete).HasColumnName("complete");
        b.HasIndex(x => new { x.WorkspaceId, x.FinishedAt });
    }
}
