using Immutable.Domain.Alerts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class IncidentConfiguration : IEntityTypeConfiguration<IncidentRecord>
{
    public void Configure(EntityTypeBuilder<IncidentRecord> b)
    {
        b.ToTable("incidents");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.GroupBy).HasColumnName("group_by").HasConversion<WireNameConverter<IncidentGrouping>>();
        b.Property(x => x.GroupValue).HasColumnName("group_value");
        b.Property(x => x.OpenKey).HasColumnName("open_key");
        b.Property(x => x.Title).HasColumnName("title");
        b.Property(x => x.ActorId).HasColumnName("actor_id");
        b.Property(x => x.ActorName).HasColumnName("actor_name");
        b.Property(x => x.Severity).HasColumnName("severity").HasConversion<WireNameConverter<Severity>>();
        b.Property(x => x.Status).HasColumnName("status").HasConversion<WireNameConverter<IncidentStatus>>();
        b.Property(x => x.Resolution).HasColumnName("resolution").HasConversion<WireNameConverter<IncidentResolution>>();
        b.Property(x => x.Note).HasColumnName("note");
        b.Property(x => x.Assignee).HasColumnName("assignee");
        b.Property(x => x.AlertCount).HasColumnName("alert_count");
        b.Property(x => x.ObservationCount).HasColumnName("observation_count");
        b.Property(x => x.FirstActivityAt).HasColumnName("first_activity_at");
        b.Property(x => x.LastActivityAt).HasColumnName("last_activity_at");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        b.Property(x => x.ResolvedAt).HasColumnName("resolved_at");
        b.Property(x => x.ResolvedBy).HasColumnName("resolved_by");
        b.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
        b.HasIndex(x => x.Id).IsUnique();
        // One collecting incident per (workspace, key), across instances: NULLs (not collecting) are distinct on both stores.
        b.HasIndex(x => new { x.WorkspaceId, x.OpenKey }).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.RowId });
        b.HasIndex(x => new { x.WorkspaceId, x.Status, x.LastActivityAt });
        b.HasIndex(x => new { x.WorkspaceId, x.ActorId });
        b.HasOne<WorkspaceRecord>().WithMany().HasForeignKey(x => x.WorkspaceId);
    }
}

internal sealed class IncidentCommentConfiguration : IEntityTypeConfiguration<IncidentCommentRecord>
{
    public void Configure(EntityTypeBuilder<IncidentCommentRecord> b)
    {
        b.ToTable("incident_comments");
        b.HasKey(x => x.RowId);
        b.Property(x => x.RowId).HasColumnName("row_id");
        b.Property(x => x.IncidentRowId).HasColumnName("incident_row_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.AuthorId).HasColumnName("author_id");
        b.Property(x => x.AuthorName).HasColumnName("author_name");
        b.Property(x => x.Text).HasColumnName("text");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.HasIndex(x => new { x.IncidentRowId, x.RowId });
        b.HasOne<IncidentRecord>().WithMany().HasForeignKey(x => x.IncidentRowId);
    }
}
