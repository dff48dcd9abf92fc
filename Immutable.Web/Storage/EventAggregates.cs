using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Storage;

/// <summary>Which clock a chart counts by: the event's own time (default) or when it was ingested.</summary>
public enum TimeBasis
{
    Occurred,
    Ingested,
}

/// <summary>Events and alerts of one country in a period (ISO 3166 alpha-2 code as GeoIP gave it).</summary>
public sealed record CountryCount(string Country, int Events, int Alerts);

/// <summary>Events and alerts per time bucket: bucket i covers [From + i × Size, From + (i + 1) × Size).</summary>
public sealed record TimeBuckets(DateTime From, TimeSpan Size, IReadOnlyList<int> Events, IReadOnlyList<int> Alerts)
{
    public DateTime Start(int i) => From + Size * i;
}

/// <summary>
/// What the dashboard's map and events-over-time chart draw: counts grouped in SQL (GROUP BY), over an index range of
/// the workspace or of one actor, never rows loaded into memory. Portable SQL (named @ parameters, integer division of
/// bigint ticks): the same text on SQLite and PostgreSQL. Column names come from <see cref="TimeBasis"/>, never input.
/// Indexes: events (workspace_id, created_at) and (workspace_id, actor_id, occurred_at); alerts (workspace_id,
/// actor_id, first_event_at) and events (id) for an alert's origin.
/// </summary>
public sealed class EventAggregates(IDbContextFactory<ImmutableDbContext> dbFactory)
{
    /// <summary>Most buckets a chart asks for; a longer period gets wider buckets.</summary>
    public const int MaxBuckets = 400;

    public async Task<IReadOnlyList<CountryCount>> CountriesAsync(string workspaceId, string? actorId, DateTime from, DateTime to, TimeBasis basis, CancellationToken ct = default)
    {
        var eventTime = EventColumn(basis);
        var alertTime = AlertColumn(basis);
        var actor = actorId is null ? "" : " AND actor_id = @actor";
        var counts = new Dictionary<string, (int Events, int Alerts)>(StringComparer.Ordinal);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await using (var cmd = Command(db, workspaceId, actorId, from, to,
            $"SELECT ip_country, COUNT(*) FROM events WHERE workspace_id = @w{actor} AND {eventTime} >= @from AND {eventTime} < @to AND ip_country IS NOT NULL GROUP BY ip_country"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = (checked((int)reader.GetInt64(1)), 0);

        // An alert's origin is its triggering event's country (workspace-level alerts have none).
        await using (var cmd = Command(db, workspaceId, actorId, from, to,
            $"SELECT e.ip_country, COUNT(*) FROM alerts a JOIN events e ON e.id = a.event_id WHERE a.workspace_id = @w{actor.Replace("actor_id", "a.actor_id", StringComparison.Ordinal)} " +
            $"AND a.{alertTime} >= @from AND a.{alertTime} < @to AND e.ip_country IS NOT NULL GROUP BY e.ip_country"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var country = reader.GetString(0);
                counts[country] = (counts.GetValueOrDefault(country).Events, checked((int)reader.GetInt64(1)));
            }
        return counts.Select(c => new CountryCount(c.Key, c.Value.Events, c.Value.Alerts))
            .OrderByDescending(c => c.Events).ThenByDescending(c => c.Alerts).ThenBy(c => c.Country, StringComparer.Ordinal).ToList();
    }

    /// <summary>Events and alerts per bucket of <paramref name="size"/> over [from, to) (at most <see cref="MaxBuckets"/>).</summary>
    public async Task<TimeBuckets> OverTimeAsync(string workspaceId, string? actorId, DateTime from, DateTime to, TimeSpan size, TimeBasis basis, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(size, TimeSpan.Zero);
        var n = (int)Math.Min(MaxBuckets, Math.Max(1, (long)Math.Ceiling((to - from) / size)));
        var events = new int[n];
        var alerts = new int[n];
        var eventTime = EventColumn(basis);
        var alertTime = AlertColumn(basis);
        var actor = actorId is null ? "" : " AND actor_id = @actor";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await ReadAsync($"SELECT ({eventTime} - @from) / @size, COUNT(*) FROM events WHERE workspace_id = @w{actor} AND {eventTime} >= @from AND {eventTime} < @to GROUP BY 1", events);
        await ReadAsync($"SELECT ({alertTime} - @from) / @size, COUNT(*) FROM alerts WHERE workspace_id = @w{actor} AND {alertTime} >= @from AND {alertTime} < @to GROUP BY 1", alerts);
        return new TimeBuckets(from, size, events, alerts);

        async Task ReadAsync(string sql, int[] into)
        {
            await using var cmd = Command(db, workspaceId, actorId, from, to, sql);
            Add(cmd, "@size", size.Ticks);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var i = reader.GetInt64(0);
                if (i >= 0 && i < into.Length) into[i] += checked((int)reader.GetInt64(1));
            }
        }
    }

    private static string EventColumn(TimeBasis basis) => basis switch
    {
        TimeBasis.Occurred => "occurred_at",
        TimeBasis.Ingested => "created_at",
        _ => throw new ArgumentOutOfRangeException(nameof(basis)),
    };

    // An alert sits at its first event's time on the event clock, at the moment it was raised on the ingestion clock.
    private static string AlertColumn(TimeBasis basis) => basis switch
    {
        TimeBasis.Occurred => "first_event_at",
        TimeBasis.Ingested => "triggered_at",
        _ => throw new ArgumentOutOfRangeException(nameof(basis)),
    };

    private static DbCommand Command(ImmutableDbContext db, string workspaceId, string? actorId, DateTime from, DateTime to, string sql)
    {
        var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = sql;
        Add(cmd, "@w", workspaceId);
        Add(cmd, "@from", from.Ticks);
        Add(cmd, "@to", to.Ticks);
        if (actorId is not null) Add(cmd, "@actor", actorId);
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
