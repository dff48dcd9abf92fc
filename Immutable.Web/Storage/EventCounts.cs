using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Storage;

/// <summary>Events ingested per minute (by <c>created_at</c>), keyed by minutes since 0001-01-01 UTC.</summary>
public sealed class MinuteCounts(IReadOnlyDictionary<long, int> perMinute)
{
    /// <summary>Events ingested in [from, to); both are whole minutes.</summary>
    public int Count(DateTime from, DateTime to)
    {
        var sum = 0;
        for (var m = from.Ticks / TimeSpan.TicksPerMinute; m < to.Ticks / TimeSpan.TicksPerMinute; m++) sum += perMinute.GetValueOrDefault(m);
        return sum;
    }
}

/// <summary>Ingestion counts of a workspace, what ingestion_spike compares (scheduled and in a dry run).</summary>
public interface IEventCounts
{
    /// <summary>Per-minute counts over the given periods (whole minutes, [From, To)), counted in the store.</summary>
    Task<MinuteCounts> PerMinuteAsync(string workspaceId, IReadOnlyList<(DateTime From, DateTime To)> periods, CancellationToken ct);

    /// <summary>When the workspace's first event was ingested; null when it has none.</summary>
    Task<DateTime?> FirstIngestedAtAsync(string workspaceId, CancellationToken ct);
}

/// <summary>Portable SQL (named @ parameters, integer division of bigint ticks): the same text on SQLite and PostgreSQL.</summary>
public sealed class SqlEventCounts(IDbContextFactory<ImmutableDbContext> dbFactory) : IEventCounts
{
    public async Task<MinuteCounts> PerMinuteAsync(string workspaceId, IReadOnlyList<(DateTime From, DateTime To)> periods, CancellationToken ct)
    {
        var perMinute = new Dictionary<long, int>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT created_at / @m, COUNT(*) FROM events WHERE workspace_id = @w AND created_at >= @a AND created_at < @b GROUP BY created_at / @m";
        var from = Add("@a");
        var to = Add("@b");
        Add("@m").Value = TimeSpan.TicksPerMinute;
        Add("@w").Value = workspaceId;
        foreach (var (a, b) in periods)
        {
            from.Value = a.Ticks;
            to.Value = b.Ticks;
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) perMinute[reader.GetInt64(0)] = checked((int)reader.GetInt64(1));
        }
        return new MinuteCounts(perMinute);

        System.Data.Common.DbParameter Add(string name)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
            return p;
        }
    }

    public async Task<DateTime?> FirstIngestedAtAsync(string workspaceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Events.Where(e => e.WorkspaceId == workspaceId).MinAsync(e => (DateTime?)e.CreatedAt, ct);
    }
}
