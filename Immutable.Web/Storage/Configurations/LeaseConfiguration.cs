using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Immutable.Web.Storage.Configurations;

internal sealed class LeaseConfiguration : IEntityTypeConfiguration<LeaseRecord>
{
    public void Configure(EntityTypeBuilder<LeaseRecord> b)
    {
        b.ToTable("leases");
        b.HasKey(x => x.Name);
        b.Property(x => x.Name).HasColumnName("name");
        b.Property(x => x.Owner).HasColumnName("owner");
        b.Property(x => x.ExpiresAt).HasColumnName("expires_at");
    }
}
