using Immutable.Web.Accounts;
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
        b.Property(x => x.Role).HasColumnName("role").HasConversion<WireNameConverter<Role>>();
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

internal sealed class DashboardUserConfiguration : IEntityTypeConfiguration<DashboardUserRecord>
{
    public void Configure(EntityTypeBuilder<DashboardUserRecord> b)
    {
        b.ToTable("dashboard_users");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.Email).HasColumnName("email");
        b.Property(x => x.Name).HasColumnName("name");
        b.Property(x => x.PasswordHash).HasColumnName("password_hash");
        b.Property(x => x.FailedSignIns).HasColumnName("failed_sign_ins");
        b.Property(x => x.LockedUntil).HasColumnName("locked_until");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.HasIndex(x => x.Email).IsUnique();
    }
}

internal sealed class AccountTokenConfiguration : IEntityTypeConfiguration<AccountTokenRecord>
{
    public void Configure(EntityTypeBuilder<AccountTokenRecord> b)
    {
        b.ToTable("account_tokens");
        b.HasKey(x => x.TokenHash);
        b.Property(x => x.TokenHash).HasColumnName("token_hash");
        b.Property(x => x.Purpose).HasColumnName("purpose");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Email).HasColumnName("email");
        b.Property(x => x.Role).HasColumnName("role").HasConversion<WireNameConverter<Role>>();
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
        b.Property(x => x.UsedAt).HasColumnName("used_at");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
    }
}

internal sealed class DashboardSessionConfiguration : IEntityTypeConfiguration<DashboardSessionRecord>
{
    public void Configure(EntityTypeBuilder<DashboardSessionRecord> b)
    {
        b.ToTable("dashboard_sessions");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.WorkspaceId).HasColumnName("workspace_id");
        b.Property(x => x.Email).HasColumnName("email");
        b.Property(x => x.ClientAddress).HasColumnName("client_address");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.EndedAt).HasColumnName("ended_at");
        b.Property(x => x.EndReason).HasColumnName("end_reason");
        b.HasIndex(x => new { x.UserId, x.EndedAt });
    }
}
