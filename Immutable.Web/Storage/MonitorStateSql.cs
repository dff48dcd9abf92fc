using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Immutable.Web.Storage;

/// <summary>A stored event as monitor evaluation reads it: no more columns than it needs, times as ticks.</summary>
public readonly record struct MonitorEventRow(string Id, string ActorId, string Action, string? Metadata, long OccurredAtTicks, long Sequence);

/// <summary>
/// Every SQL text of monitor evaluation (<c>Monitors/MonitorEvaluator</c>): new events after the checkpoint, a user's
/// events in a time range, the persisted window state (<see cref="MonitorStateRecord"/>, <see cref="MonitorBucketDayRecord"/>),
/// observation marks and evidence rows. Portable SQL (named @ parameters, <c>INSERT … ON CONFLICT … DO UPDATE</c>): the
/// same text on SQLite and PostgreSQL. One instance per evaluation pass, on the context's connection; statements are
/// prepared once and reused for every user of the pass, and join the context's current transaction.
/// </summary>
public sealed class MonitorStateSql(ImmutableDbContext db) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public Task OpenAsync(CancellationToken ct) => db.Database.OpenConnectionAsync(ct);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/>, in sequence order, handed to
    /// <paramref name="visit"/> as they are read. Without their ids (<see cref="MonitorEventRow.Id"/> is empty): counting
    /// does not need them, and this read is every event's, so a string less per event is garbage the GC does not collect.
    /// </summary>
    public async Task<int> NewEventsAsync(string ws, long after, int limit, Action<MonitorEventRow> visit, CancellationToken ct)
    {
        var cmd = Command("new-events",
            "SELECT actor_id, action, metadata, occurred_at, sequence FROM events WHERE workspace_id = @w AND sequence > @a ORDER BY sequence LIMIT @n",
            "@w", "@a", "@n");
        Bind(cmd, ws, after, limit);
        var count = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            visit(new MonitorEventRow("", reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
            count++;
        }
        return count;
    }

    /// <summary>One user's events with <paramref name="fromTicks"/> ≤ occurred_at &lt; <paramref name="toTicks"/> and sequence ≤ <paramref name="maxSequence"/>.</summary>
    public async Task<List<MonitorEventRow>> UserEventsAsync(string ws, string user, long fromTicks, long toTicks, long maxSequence, CancellationToken ct)
    {
        var cmd = Command("user-events", """
            SELECT id, actor_id, action, metadata, occurred_at, sequence FROM events
            WHERE workspace_id = @w AND actor_id = @u AND occurred_at >= @f AND occurred_at < @t AND sequence <= @s
            ORDER BY occurred_at, sequence
            """, "@w", "@u", "@f", "@t", "@s");
        Bind(cmd, ws, user, fromTicks, toTicks, maxSequence);
        var rows = new List<MonitorEventRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Row(reader));
        return rows;
    }

    private static MonitorEventRow Row(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5));

    public async Task<Dictionary<string, MonitorStateRecord>> StatesAsync(string ws, CancellationToken ct)
    {
        var cmd = Command("states", "SELECT monitor_id, definition_hash, since_sequence, through_sequence FROM monitor_states WHERE workspace_id = @w", "@w");
        Bind(cmd, ws);
        var states = new Dictionary<string, MonitorStateRecord>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetString(0);
            states[id] = new MonitorStateRecord
            {
                WorkspaceId = ws, MonitorId = id, DefinitionHash = reader.GetString(1), SinceSequence = reader.GetInt64(2), ThroughSequence = reader.GetInt64(3),
            };
        }
        return states;
    }

    /// <summary>Drops a monitor's buckets and (unless <paramref name="restart"/> is null) starts its state over.</summary>
    public async Task ResetAsync(string ws, string monitorId, MonitorStateRecord? restart, CancellationToken ct)
    {
        var delete = Command("delete-buckets", "DELETE FROM monitor_bucket_days WHERE workspace_id = @w AND monitor_id = @m", "@w", "@m");
        Bind(delete, ws, monitorId);
        await delete.ExecuteNonQueryAsync(ct);
        if (restart is null)
        {
            var drop = Command("delete-state", "DELETE FROM monitor_states WHERE workspace_id = @w AND monitor_id = @m", "@w", "@m");
            Bind(drop, ws, monitorId);
            await drop.ExecuteNonQueryAsync(ct);
            return;
        }
        var upsert = Command("upsert-state", """
            INSERT INTO monitor_states (workspace_id, monitor_id, definition_hash, since_sequence, through_sequence)
            VALUES (@w, @m, @h, @s, @t)
            ON CONFLICT (workspace_id, monitor_id) DO UPDATE SET
                definition_hash = excluded.definition_hash, since_sequence = excluded.since_sequence, through_sequence = excluded.through_sequence
            """, "@w", "@m", "@h", "@s", "@t");
        Bind(upsert, ws, monitorId, restart.DefinitionHash, restart.SinceSequence, restart.ThroughSequence);
        await upsert.ExecuteNonQueryAsync(ct);
    }

    public async Task AdvanceAsync(string ws, string monitorId, long through, CancellationToken ct)
    {
        var cmd = Command("advance-state", "UPDATE monitor_states SET through_sequence = @t WHERE workspace_id = @w AND monitor_id = @m", "@w", "@m", "@t");
        Bind(cmd, ws, monitorId, through);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A user's stored bucket days of every monitor, <paramref name="fromDay"/> ≤ day ≤ <paramref name="toDay"/>.</summary>
    public async Task<List<(string MonitorId, long Day, byte[] Buckets)>> BucketDaysAsync(string ws, string user, long fromDay, long toDay, CancellationToken ct)
    {
        var cmd = Command("bucket-days",
            "SELECT monitor_id, day, buckets FROM monitor_bucket_days WHERE workspace_id = @w AND user_id = @u AND day >= @a AND day <= @b",
            "@w", "@u", "@a", "@b");
        Bind(cmd, ws, user, fromDay, toDay);
        var rows = new List<(string, long, byte[])>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
        return rows;
    }

    public async Task SaveBucketDayAsync(string ws, string user, long day, string monitorId, byte[] buckets, CancellationToken ct)
    {
        var cmd = Command("upsert-bucket-day", """
            INSERT INTO monitor_bucket_days (workspace_id, user_id, day, monitor_id, buckets) VALUES (@w, @u, @d, @m, @b)
            ON CONFLICT (workspace_id, user_id, day, monitor_id) DO UPDATE SET buckets = excluded.buckets
            """, "@w", "@u", "@d", "@m", "@b");
        Bind(cmd, ws, user, day, monitorId, buckets);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A (monitor, user)'s stored observations as episode logic needs them: window end (ticks) and severity (wire name).</summary>
    public async Task<List<(long WindowEndTicks, string Severity)>> MarksAsync(string ws, string monitorId, string user, CancellationToken ct)
    {
        var cmd = Command("marks", "SELECT window_end, severity FROM observations WHERE workspace_id = @w AND monitor_id = @m AND user_id = @u", "@w", "@m", "@u");
        Bind(cmd, ws, monitorId, user);
        var marks = new List<(long, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) marks.Add((reader.GetInt64(0), reader.GetString(1)));
        return marks;
    }

    /// <summary>The events behind an observation, one row each.</summary>
    public async Task AddObservationEventAsync(long observationRowId, string eventId, long occurredAtTicks, CancellationToken ct)
    {
        var cmd = Command("observation-event",
            "INSERT INTO observation_events (observation_row_id, event_id, occurred_at) VALUES (@o, @e, @t)", "@o", "@e", "@t");
        Bind(cmd, observationRowId, eventId, occurredAtTicks);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private DbCommand Command(string key, string sql, params string[] parameters)
    {
        if (!_commands.TryGetValue(key, out var cmd))
        {
            cmd = db.Database.GetDbConnection().CreateCommand();
            cmd.CommandText = sql;
            foreach (var name in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                cmd.Parameters.Add(p);
            }
            _commands[key] = cmd;
        }
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return cmd;
    }

    private static void Bind(DbCommand cmd, params object[] values)
    {
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
    }

    public void Dispose()
    {
        foreach (var cmd in _commands.Values) cmd.Dispose();
    }
}
