using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Immutable.Web.Storage;

/// <summary>The data folder (signing keys, witness files, exports, archives, Data Protection keys), resolved once.</summary>
public sealed record StorageDataDirectory(string Path);

public static class StorageExtensions
{
    public const string DefaultConnectionString = "Data Source=data/immutable.db";

    /// <summary>
    /// Registers the store for <c>Storage:Provider</c>: the same seams (<see cref="IDbContextFactory{ImmutableDbContext}"/>,
    /// <see cref="IEventLog"/>, <see cref="IRuleMemoryStore"/>, <see cref="IEventCounts"/>, <see cref="StorageHealth"/>)
    /// with the provider's implementation behind them.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingletonTimeProvider();
        builder.Services.AddSingleton(new StorageDataDirectory(ResolveDataDirectory(builder.Configuration)));
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddSingleton<CommittedEventTail>();
        builder.Services.AddSingleton<IRuleMemoryStore, SqlRuleMemoryStore>();
        builder.Services.AddSingleton<IEventCounts, SqlEventCounts>();
        builder.Services.AddSingleton(LeaseOwner.For(ProviderOf(builder.Configuration)));
        builder.Services.AddSingleton<LeaseStore>();
        // Registered before the workers, so stopped after them: gives back what they held for the next instance.
        builder.Services.AddHostedService<LeaseRelease>();
        builder.Services.AddDataProtectionKeyRing();
        if (ProviderOf(builder.Configuration) == StorageProvider.Postgres) AddPostgres(builder);
        else AddSqlite(builder);
        return builder;
    }

    public static StorageProvider ProviderOf(IConfiguration configuration) =>
        configuration.GetSection(StorageOptions.Section).GetValue(nameof(StorageOptions.Provider), StorageProvider.Sqlite);

    private static void AddSqlite(IHostApplicationBuilder builder)
    {
        var connectionString = ResolveConnectionString(builder.Configuration.GetConnectionString("Default") ?? DefaultConnectionString);
        builder.Services.AddSingleton(new SqliteConnectionString(connectionString));
        var synchronous = builder.Configuration.GetSection(StorageOptions.Section).GetValue(nameof(StorageOptions.Synchronous), SqliteSynchronous.Normal);
        builder.Services.AddPooledDbContextFactory<ImmutableDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmaInterceptor(synchronous)));
        builder.Services.AddSingleton<SqliteEventChainWriter>();
        builder.Services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteEventChainWriter>());
        builder.Services.AddHostedService<WalCheckpointer>();
    }

    private static void AddPostgres(IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Default") is { Length: > 0 } configured
            ? configured
            : throw new InvalidOperationException("Storage:Provider is Postgres but ConnectionStrings:Default is not set (e.g. \"Host=db;Database=immutable;Username=immutable;Password=...\").");
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddPooledDbContextFactory<PostgresImmutableDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddSingleton<IDbContextFactory<ImmutableDbContext>, PostgresContextFactory>();
        builder.Services.AddSingleton<PostgresEventLog>();
        builder.Services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<PostgresEventLog>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresEventLog>());
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

    /// <summary>
    /// <c>Storage:DataDirectory</c> when set; otherwise the SQLite file's folder (or <c>data/</c> for an in-memory
    /// database), or <c>data/</c> under the working directory on PostgreSQL. Never derived from a PostgreSQL
    /// connection string.
    /// </summary>
    public static string ResolveDataDirectory(IConfiguration configuration)
    {
        if (configuration.GetSection(StorageOptions.Section)[nameof(StorageOptions.DataDirectory)] is { Length: > 0 } configured)
            return Path.GetFullPath(configured);
        if (ProviderOf(configuration) == StorageProvider.Postgres) return Path.GetFullPath("data");
        var source = new SqliteConnectionStringBuilder(configuration.GetConnectionString("Default") ?? DefaultConnectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:"
            ? Path.GetFullPath("data")
            : Path.GetDirectoryName(Path.GetFullPath(source))!;
    }

    /// <summary>
    /// Applies pending migrations. SQLite: then switches the file to WAL (a persistent property of the file).
    /// PostgreSQL: under a session advisory lock, so instances starting together migrate once (the others wait, then
    /// find nothing pending).
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (db.IsPostgres())
        {
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await ExecuteAsync(db, PostgresSql.LockMigrations, PostgresSql.MigrationLockKey, ct);
                try
                {
                    await db.Database.MigrateAsync(ct);
                    DataProtectionKeyRing.EnsureKey(services);
                }
                finally { await ExecuteAsync(db, PostgresSql.UnlockMigrations, PostgresSql.MigrationLockKey, CancellationToken.None); }
            }
            finally { await db.Database.CloseConnectionAsync(); }
            return;
        }
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync(SqlitePragmas.JournalModeWal, ct);
    }

    private static async Task ExecuteAsync(ImmutableDbContext db, string sql, long key, CancellationToken ct)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.Value = key;
        command.Parameters.Add(parameter);
        await command.ExecuteScalarAsync(ct);
    }

    /// <summary>
    /// Migrates at start-up; when the store cannot be opened or written (read-only, missing folder, not a database,
    /// disk full, server unreachable) prints one clear line on stderr and returns false, so the process exits with
    /// code 1 instead of aborting with a stack trace.
    /// </summary>
    public static async Task<bool> TryMigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        try
        {
            await services.MigrateDatabaseAsync(ct);
            // A store that opens but cannot be written (read-only mount, full disk) fails here, not at the first event.
            var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
            await using var db = await factory.CreateDbContextAsync(ct);
            await StorageHealth.WriteProbeAsync(db, ct);
            return true;
        }
        catch (Exception ex) when (StorageFaults.Classify(ex) is { } fault)
        {
            if (services.GetService<SqliteConnectionString>() is { } sqlite)
            {
                var source = new SqliteConnectionStringBuilder(sqlite.Value).DataSource;
                await Console.Error.WriteLineAsync($"Immutable cannot start: {StorageFaults.DescribeAtStart(source, fault)} ({source}): {(ex as SqliteException ?? ex.InnerException ?? ex).Message}");
            }
            else
            {
                var csb = new NpgsqlConnectionStringBuilder(services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
                await Console.Error.WriteLineAsync($"Immutable cannot start: {StorageFaults.Describe(fault)} (PostgreSQL {csb.Host}:{csb.Port}/{csb.Database}): {(ex as NpgsqlException ?? ex.InnerException ?? ex).Message}");
            }
            return false;
        }
    }
}
