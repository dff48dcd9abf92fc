using System.Threading.Channels;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.DomainEvents;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Storage;

/// <summary>
/// The single writer of every workspace's chain in this process. Requests queue their events; one loop takes
/// everything queued (up to <see cref="StorageOptions.MaxEventsPerCommit"/>), links and inserts it in one
/// transaction, commits, and only then completes the requests (group commit: one commit, and with
/// synchronous=FULL one fsync, serves many requests).
/// Invariant: sequence numbers and previous-hash links are assigned only here, in commit order, from the
/// last committed head of the workspace; a failed commit resets the in-memory heads from the database.
/// </summary>
public sealed partial class SqliteEventChainWriter : BackgroundService, IEventLog
{
    private readonly Channel<PendingAppend> _queue;
    private readonly string _connectionString;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly IDomainEvents _events;
    private readonly ILogger<SqliteEventChainWriter> _logger;
    private readonly StorageHealth _health;
    private readonly CommittedEventTail _tail;
    private readonly Dictionary<string, ChainHead> _heads = new(StringComparer.Ordinal);

    public SqliteEventChainWriter(
        SqliteConnectionString connectionString,
        IOptions<StorageOptions> options,
        TimeProvider time,
        IDomainEvents events,
        StorageHealth health,
        CommittedEventTail tail,
        ILogger<SqliteEventChainWriter> logger)
    {
        _health = health;
        _tail = tail;
        _connectionString = connectionString.Value;
        _options = options.Value;
        _time = time;
        _events = events;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(_options.MaxPendingAppends)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public async Task<IReadOnlyList<AppendOutcome>> AppendAsync(string workspaceId, IReadOnlyList<EventContent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return [];
        var pending = new PendingAppend(workspaceId, events);
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        // Once queued, the append happens whatever the caller does: completing it is the writer's job.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking new appends, let the loop drain and commit what is queued.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(CancellationToken.None);
        SqlitePragmas.Apply(connection, _options.Synchronous, writer: true);
        using var statements = new Statements(connection);

        var group = new List<PendingAppend>();
        var reader = _queue.Reader;
        // Not cancelled by stoppingToken: StopAsync completes the channel and the loop drains it.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var eventCount = 0;
            while (eventCount < _options.MaxEventsPerCommit && reader.TryRead(out var next))
            {
                group.Add(next);
                eventCount += next.Events.Count;
            }
            CommitGroup(connection, statements, group);
        }
    }

    private void CommitGroup(SqliteConnection connection, Statements statements, List<PendingAppend> group)
    {
        var results = new AppendOutcome[group.Count][];
        var newHeads = new Dictionary<string, ChainHead>(StringComparer.Ordinal);
        var committed = new List<AuditEvent>();
        try
        {
            using (var transaction = connection.BeginTransaction())
            {
                statements.Enlist(transaction);
                // Idempotency keys claimed inside this group, so two requests with one key in one commit store once.
                var claimedKeys = new Dictionary<(string, string), AppendOutcome>();
                var now = Timestamps.ToMicroseconds(_time.GetUtcNow());
                for (var g = 0; g < group.Count; g++)
                {
                    var pending = group[g];
                    var head = newHeads.TryGetValue(pending.WorkspaceId, out var h) ? h : LoadHead(statements, pending.WorkspaceId);
                    var outcomes = new AppendOutcome[pending.Events.Count];
                    for (var i = 0; i < pending.Events.Count; i++)
                    {
                        var content = pending.Events[i];
                        if (content.IdempotencyKey is { } key)
                        {
                            var existing = claimedKeys.TryGetValue((pending.WorkspaceId, key), out var claimed)
                                ? claimed
                                : statements.FindByIdempotencyKey(pending.WorkspaceId, key);
                            if (existing is not null)
                            {
                                outcomes[i] = existing with { Duplicate = true };
                                continue;
                            }
                        }

                        // created_at never goes backwards within a workspace, so it orders like the sequence.
                        var createdAt = now > head.LastCreatedAt ? now : head.LastCreatedAt;
                        var stored = new AuditEvent
                        {
                            Content = content,
                            WorkspaceId = pending.WorkspaceId,
                            Sequence = head.Sequence + 1,
                            CreatedAt = createdAt,
                            OccurredAt = content.OccurredAt ?? createdAt,
                            PreviousEventHash = head.Hash,
                            EventHash = "",
                        };
                        stored = stored with { EventHash = EventHashing.ComputeHash(stored) };
                        statements.Insert(stored);
                        // As a read of the store gives it back (EventMapping.ToDomain): the content's time is the stored one.
                        committed.Add(stored with { Content = content with { OccurredAt = stored.OccurredAt } });
                        head = new ChainHead(stored.Sequence, stored.EventHash, createdAt);
                        outcomes[i] = new AppendOutcome(content.Id, Duplicate: false, stored.Sequence, stored.EventHash);
                        if (content.IdempotencyKey is { } claimedKey) claimedKeys[(pending.WorkspaceId, claimedKey)] = outcomes[i];
                    }
                    newHeads[pending.WorkspaceId] = head;
                    results[g] = outcomes;
                }
                transaction.Commit();
            }
        }
        catch (Exception ex)
        {
            // Nothing of this group is stored: fail every request in it, forget heads (re-read on next use).
            // A storage fault (disk full, read-only...) is reported as such: callers answer 503 and retry later.
            LogCommitFailed(ex, group.Count);
            _heads.Clear();
            var fault = StorageFaults.Classify(ex);
            if (fault is not null) _health.ReportFailure(fault);
            Exception failure = fault is null ? ex : new StorageUnavailableException(fault, ex);
            foreach (var pending in group) pending.Completion.TrySetException(failure);
            return;
        }
        finally
        {
            statements.Enlist(null);
        }

        _health.ReportSuccess();
        foreach (var (workspace, head) in newHeads) _heads[workspace] = head;
        _tail.Add(committed);
        for (var g = 0; g < group.Count; g++) group[g].Completion.TrySetResult(results[g]);

        if (newHeads.Count > 0) _events.Publish(new EventsAppended(newHeads.Keys.ToList()));
    }

    private ChainHead LoadHead(Statements statements, string workspaceId) =>
        _heads.TryGetValue(workspaceId, out var head) ? head : statements.ReadHead(workspaceId);

    [LoggerMessage(LogLevel.Error, "Group commit of {RequestCount} append requests failed; none was stored.")]
    private partial void LogCommitFailed(Exception ex, int requestCount);


    private sealed record PendingAppend(string WorkspaceId, IReadOnlyList<EventContent> Events)
    {
        public TaskCompletionSource<IReadOnlyList<AppendOutcome>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct ChainHead(long Sequence, string? Hash, DateTime LastCreatedAt);

    /// <summary>Prepared statements reused for every commit on the writer's one connection.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteCommand _insertEvent;
        private readonly SqliteCommand _insertTarget;
        private readonly SqliteCommand _findKey;
        private readonly SqliteCommand _readHead;
        private readonly SqliteParameter[] _eventParams;

        private static readonly string[] EventColumns =
        [
            "id", "workspace_id", "sequence", "actor_id", "actor_name", "actor_type", "action", "action_category",
            "resource", "resource_id", "resource_name", "targets", "metadata", "tenant_id", "session_id",
            "ip_address", "ip_country", "ip_city", "ip_latitude", "ip_longitude", "ip_accuracy_radius_km",
            "ip_time_zone", "user_agent", "idempotency_key", "version", "occurred_at", "created_at",
            "previous_event_hash", "event_hash", "schema_violation",
        ];

        public Statements(SqliteConnection connection)
        {
            _insertEvent = connection.CreateCommand();
            _insertEvent.CommandText =
                $"INSERT INTO events ({string.Join(", ", EventColumns)}) VALUES ({string.Join(", ", EventColumns.Select(c => "$" + c))}) RETURNING row_id";
            _eventParams = EventColumns.Select(c => _insertEvent.Parameters.Add(new SqliteParameter("$" + c, null))).ToArray();

            _insertTarget = connection.CreateCommand();
            _insertTarget.CommandText =
                "INSERT INTO event_targets (event_row_id, workspace_id, type, target_id) VALUES ($e, $w, $t, $i)";
            _insertTarget.Parameters.Add(new SqliteParameter("$e", null));
            _insertTarget.Parameters.Add(new SqliteParameter("$w", null));
            _insertTarget.Parameters.Add(new SqliteParameter("$t", null));
            _insertTarget.Parameters.Add(new SqliteParameter("$i", null));

            _findKey = connection.CreateCommand();
            _findKey.CommandText = "SELECT id, sequence, event_hash FROM events WHERE workspace_id = $w AND idempotency_key = $k";
            _findKey.Parameters.Add(new SqliteParameter("$w", null));
            _findKey.Parameters.Add(new SqliteParameter("$k", null));

            _readHead = connection.CreateCommand();
            // The newest stored event, or, when retention archived every event, the retention cut (the last archived
            // one): the chain continues from it instead of starting again at 1.
            _readHead.CommandText = """
                SELECT sequence, event_hash, created_at FROM (
                    SELECT sequence, event_hash, created_at FROM events WHERE workspace_id = $w ORDER BY sequence DESC LIMIT 1)
                UNION ALL
                SELECT last_sequence, last_event_hash, last_created_at FROM retention_cuts WHERE workspace_id = $w
                ORDER BY 1 DESC LIMIT 1
                """;
            _readHead.Parameters.Add(new SqliteParameter("$w", null));
        }

        public void Enlist(SqliteTransaction? transaction)
        {
            _insertEvent.Transaction = transaction;
            _insertTarget.Transaction = transaction;
            _findKey.Transaction = transaction;
            _readHead.Transaction = transaction;
        }

        public AppendOutcome? FindByIdempotencyKey(string workspaceId, string key)
        {
            _findKey.Parameters[0].Value = workspaceId;
            _findKey.Parameters[1].Value = key;
            using var reader = _findKey.ExecuteReader();
            return reader.Read() ? new AppendOutcome(Guid.Parse(reader.GetString(0)), Duplicate: true, reader.GetInt64(1), reader.GetString(2)) : null;
        }

        public ChainHead ReadHead(string workspaceId)
        {
            _readHead.Parameters[0].Value = workspaceId;
            using var reader = _readHead.ExecuteReader();
            if (!reader.Read()) return new ChainHead(0, null, DateTime.MinValue);
            return new ChainHead(reader.GetInt64(0), reader.GetString(1), new DateTime(reader.GetInt64(2), DateTimeKind.Utc));
        }

        public void Insert(AuditEvent e)
        {
            var c = e.Content;
            object?[] values =
            [
                c.Id.ToString("D"), e.WorkspaceId, e.Sequence, c.ActorId, c.ActorName, c.ActorType, c.Action,
                c.ActionCategory, c.Resource, c.ResourceId, c.ResourceName,
                c.Targets.Count == 0 ? null : EventHashing.CanonicalTargets(c.Targets), c.MetadataJson,
                c.TenantId, c.SessionId, c.IpAddress, c.Geo.CountryCode, c.Geo.City, c.Geo.Latitude,
                c.Geo.Longitude, c.Geo.AccuracyRadiusKm, c.Geo.TimeZone, c.UserAgent, c.IdempotencyKey,
                c.Version, e.OccurredAt.Ticks, e.CreatedAt.Ticks, e.PreviousEventHash, e.EventHash, c.SchemaViolation,
            ];
            for (var i = 0; i < values.Length; i++) _eventParams[i].Value = values[i] ?? DBNull.Value;
            var rowId = (long)_insertEvent.ExecuteScalar()!;

            foreach (var target in c.Targets)
            {
                _insertTarget.Parameters[0].Value = rowId;
                _insertTarget.Parameters[1].Value = e.WorkspaceId;
                _insertTarget.Parameters[2].Value = target.Type;
                _insertTarget.Parameters[3].Value = (object?)target.Id ?? DBNull.Value;
                _insertTarget.ExecuteNonQuery();
            }
        }

        public void Dispose()
        {
            _insertEvent.Dispose();
            _insertTarget.Dispose();
            _findKey.Dispose();
            _readHead.Dispose();
        }
    }
}
