using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Immutable.Web.Storage;

/// <summary>
/// The store's model on PostgreSQL: the same entities as <see cref="ImmutableDbContext"/>, its own migrations
/// (<c>Storage/Migrations/Postgres</c>, bound to this type by <c>[DbContext]</c>), and text compared byte by byte.
/// Every text column uses the "C" collation, so equality, ordering, the action prefix ranges (<c>document.*</c>) and
/// cursors compare exactly as SQLite's BINARY collation does, whatever the server's default locale; case-insensitive
/// search (ILIKE) under "C" folds ASCII only, like SQLite's LIKE.
/// </summary>
public sealed class PostgresImmutableDbContext(DbContextOptions<PostgresImmutableDbContext> options) : ImmutableDbContext(options)
{
    public const string BinaryCollation = "C";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType == typeof(string)) property.SetCollation(BinaryCollation);
            }
        }
    }
}

/// <summary>For <c>dotnet ef migrations add ... -c PostgresImmutableDbContext</c>: the model only, no server needed.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresImmutableDbContext>
{
    public PostgresImmutableDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresImmutableDbContext>().UseNpgsql("Host=localhost;Database=immutable").Options);
}

/// <summary>Hands the PostgreSQL context out as <see cref="ImmutableDbContext"/>, the type the rest of the app asks for.</summary>
internal sealed class PostgresContextFactory(IDbContextFactory<PostgresImmutableDbContext> inner) : IDbContextFactory<ImmutableDbContext>
{
    public ImmutableDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<ImmutableDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}

public static class StorageProviderExtensions
{
    /// <summary>True when the context runs on PostgreSQL (for the few queries whose SQL spelling differs).</summary>
    public static bool IsPostgres(this ImmutableDbContext db) => db is PostgresImmutableDbContext;
}
