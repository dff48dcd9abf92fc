using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Immutable.Web.Storage;

/// <summary>A named lease: who holds it and until when (UTC). One row per name in <c>leases</c>.</summary>
public sealed class LeaseRecord
{
    public required string Name { get; set; }
    public required string Owner { get; set; }
    public DateTime ExpiresAt { get; set; }
}

/// <summary>
/// Who this app instance is when it takes a lease. On PostgreSQL (several instances) a name per process and host
/// (machine/pid/random), so a dead instance's leases are told apart from the live ones and expire. On SQLite the
/// database file has one process at a time: every lease left in the file is a previous process's, so the owner is
/// the constant <c>local</c> and a restarted process takes its predecessor's leases at once instead of waiting for
/// them to expire.
/// </summary>
public sealed class LeaseOwner(string id)
{
    public string Id { get; } = id;

    public static LeaseOwner For(StorageProvider provider) => provider == StorageProvider.Sqlite
        ? new LeaseOwner("local")
        : new LeaseOwner($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}");
}

/// <summary>
/// Leases in the database, the one mechanism that makes background work run on one instance at a time: a lease is a
/// row (name, owner, expires_at) taken or renewed by a single atomic <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c>
/// (portable SQL, the same text on SQLite and PostgreSQL; on PostgreSQL the statement is atomic under concurrency:
/// two instances racing for one name get one row each way, exactly one of them sees "1 row"). Expiry is read from the
/// injected <see cref="TimeProvider"/>, so an instance that dies without releasing loses its leases when they expire.
/// Invariant: a lease is held by at most one owner whose <c>expires_at</c> is in the future.
/// </summary>
public sealed class LeaseStore(IDbContextFactory<ImmutableDbContext> dbFactory, LeaseOwner owner, TimeProvider time)
{
    /// <summary>Free, expired, or already ours: taken or renewed.</summary>
    private const string AcquireSql = """
        INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @until)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE leases.owner = excluded.owner OR leases.expires_at <= @now
        """;

    /// <summary>Free or expired, whoever held it (ours too): a throttle or a period that must pass before the next taker.</summary>
    private const string TakeExpiredSql = """
        INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @until)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE leases.expires_at <= @now
        """;

    private const string SetExpirySql = "UPDATE leases SET expires_at = @until WHERE name = @name AND owner = @owner";

    private const string ReleaseSql = "DELETE FROM leases WHERE name = @name AND owner = @owner";

    private const string ReleaseAllSql = "DELETE FROM leases WHERE owner = @owner";

    public string Owner => owner.Id;

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Takes the lease if it is free, expired or ours, until now + <paramref name="duration"/>; false when another owner holds it.</summary>
    public async Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await TryAcquireAsync(db, name, duration, ct);
    }

    /// <summary>
    /// The same inside the caller's context and current transaction: on PostgreSQL the lease row then stays locked
    /// until that transaction ends, so nobody takes the lease over between this check and the commit of the work it guards.
    /// </summary>
    public async Task<bool> TryAcquireAsync(ImmutableDbContext db, string name, TimeSpan duration, CancellationToken ct)
    {
        var now = Now;
        return await ExecuteAsync(db, AcquireSql, name, now + duration, now, ct) > 0;
    }

    /// <summary>
    /// Takes the lease only once it has expired (whoever held it, this instance too), until <paramref name="until"/>:
    /// "at most once per period" across every instance.
    /// </summary>
    public async Task<bool> TryTakeExpiredAsync(string name, DateTime until, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ExecuteAsync(db, TakeExpiredSql, name, until, Now, ct) > 0;
    }

    /// <summary>
    /// Claims a period (its start, UTC) once cluster-wide: true for the first claimer of a period later than the last
    /// claimed one, false for every other (this instance's repeat included).
    /// </summary>
    public async Task<bool> TryClaimPeriodAsync(string name, DateTime periodStart, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ExecuteAsync(db, TakeExpiredSql, name, periodStart, periodStart.AddTicks(-1), ct) > 0;
    }

    /// <summary>Moves the end of a lease this instance holds (e.g. to the end of a throttle once the work is done).</summary>
    public async Task SetExpiryAsync(string name, DateTime until, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ExecuteAsync(db, SetExpirySql, name, until, null, ct);
    }

    /// <summary>Gives a lease this instance holds back at once (shutting down, work done): another instance may take it now.</summary>
    public async Task ReleaseAsync(string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ExecuteAsync(db, ReleaseSql, name, null, null, ct);
    }

    /// <summary>Gives back every lease this instance holds (shutting down: the others need not wait for them to expire).</summary>
    public async Task ReleaseAllAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await ExecuteAsync(db, ReleaseAllSql, null, null, null, ct);
    }

    private async Task<int> ExecuteAsync(ImmutableDbContext db, string sql, string? name, DateTime? until, DateTime? now, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await db.Database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        if (name is not null) Add(command, "@name", name);
        Add(command, "@owner", owner.Id);
        if (until is { } u) Add(command, "@until", u.Ticks);
        if (now is { } n) Add(command, "@now", n.Ticks);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

/// <summary>At shutdown, after the workers have stopped, releases this instance's leases (a crash leaves them to expire).</summary>
public sealed partial class LeaseRelease(LeaseStore leases, ILogger<LeaseRelease> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await leases.ReleaseAllAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReleaseFailed(ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not release this instance's leases at shutdown; they expire on their own.")]
    private partial void LogReleaseFailed(Exception ex);
}
