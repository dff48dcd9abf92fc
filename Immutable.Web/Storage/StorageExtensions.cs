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

        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddSingleton<CommittedEventTail>();
        builder.Services.AddSingleton<SqliteEventChainWriter>();
        builder.Services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService<WalCheckpointer>();
        builder.Services.AddSingleton<IRuleMemoryStore, SqliteRuleMemoryStore>();
        builder.Services.AddSingleton<IEventCounts, SqliteEventCounts>();
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
            // A folder that cannot be created is reported by the first open, in one clear line (TryMigrateDatabaseAsync).
            try { Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            csb.DataSource = path;
        }
        return csb.ToString();
    }

    /// <summary>The folder of the database file (the data folder), where exports and keys live beside it.</summary>
    public static string DataDirectory(SqliteConnectionString connection)
    {
        var source = new SqliteConnectionStringBuilder(connection.Value).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:"
            ? Path.GetFullPath("data")
            : Path.GetDirectoryName(Path.GetFullPath(source))!;
    }

    /// <summary>Applies pending migrations and switches the file to WAL (a persistent property of the file).</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync(SqlitePragmas.JournalModeWal, ct);
    }

    /// <summary>
    /// Migrates at start-up; when the store cannot be opened or written (read-only, missing folder, not a database,
    /// disk full) prints one clear line on stderr and returns false, so the process exits with code 1 instead of
    /// aborting with a stack trace.
    /// </summary>
    public static async Task<bool> TryMigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        try
        {
            await services.MigrateDatabaseAsync(ct);
            // A file that opens but cannot be written (read-only mount, full disk) fails here, not at the first event.
            var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
            await using var db = await factory.CreateDbContextAsync(ct);
            await StorageHealth.WriteProbeAsync(db, ct);
            return true;
        }
        catch (Exception ex) when (StorageFaults.Classify(ex) is { } fault)
        {
            var source = new SqliteConnectionStringBuilder(services.GetRequiredService<SqliteConnectionString>().Value).DataSource;
            await Console.Error.WriteLineAsync($"Immutable cannot start: {StorageFaults.DescribeAtStart(source, fault)} ({source}): {(ex as Microsoft.Data.Sqlite.SqliteException ?? ex.InnerException ?? ex).Message}");
            return false;
        }
    }
}
