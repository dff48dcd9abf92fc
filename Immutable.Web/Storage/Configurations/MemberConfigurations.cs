using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class WorkspaceMemberConfiguration : IEntityTypeConfiguration<WorkspaceMemberRecord>
{
    public void Configure(EntityTypeBuilder<WorkspaceMemberRecord> b)
    {
        b.ToTable("workspace_members");
        b.HasKey(x => new { x.WorkspaceId, x.Email });
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Email).HasColumnName("email");
        b.Property(x => x.Name).HasColumnName("name");
        b.Property(x => x.Role).HasColumnName("role");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class EmailItemConfiguration : IEntityTypeConfiguration<EmailItemRecord>
{
    public void Configure(EntityTypeBuilder<EmailItemRecord> b)
    {
        b.ToTable("email_items");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Kind).HasColumnName("kind");
        b.Property(x => x.RecordId).HasColumnName("record_id");
        b.Property(x => x.Severity).HasColumnName("severity");
        b.Property(x => x.Title).HasColumnName("title");
        b.Property(x => x.Reason).HasColumnName("reason");
        b.Property(x => x.Actor).HasColumnName("actor");
        b.Property(x => x.Country).HasColumnName("country");
        b.Property(x => x.Link).HasColumnName("link");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.SentAt).HasColumnName("sent_at");
        b.HasIndex(x => new { x.SentAt, x.WorkspaceId });
    }
}
