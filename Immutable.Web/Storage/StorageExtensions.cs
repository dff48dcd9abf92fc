using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Storage;

public static class StorageExtensions
{
    public const string DefaultConnectionString = "Data Source=data/immutable.db";

    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var connectionString = ResolveConnectionString(builder.Configuration.GetConnectionString("Default") ?? DefaultConnectionString);
        builder.Services.AddSingleton(new SqliteConnectionString(connectionString));
        var synchronous = builder.Configuration.GetSection(StorageOptions.Section).GetValue(nameof(StorageOptions.Synchronous), SqliteSynchronous.Normal);
        builder.Services.AddPooledDbContextFactory<ImmutableDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmaInterceptor(synchronous)));
        builder.Services.TryAddSingletonTimeProvider();

        builder.Services.AddSingleton<SqliteEventChainWriter>();
        builder.Services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService<WalCheckpointer>();
        return builder;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }

    /// <summary>Relative data paths are taken from the working directory, and their folder is created.</summary>
    public static string ResolveConnectionString(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } source && source != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.GetFullPath(source);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            csb.DataSource = path;
        }
        return csb.ToString();
    }

    /// <summary>Applies pending migrations and switches the file to WAL (a persistent property of the file).</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", ct);
    }
}
