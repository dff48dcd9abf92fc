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
public sealed class SqliteEventChainWriter(
    SqliteConnectionString connectionString,
    IOptions<StorageOptions> options,
    TimeProvider time,
    IDomainEvents events,
    StorageHealth health,
    CommittedEventTail tail,
    ILogger<SqliteEventChainWriter> logger)
    : GroupCommitEventLog(options.Value, time, events, health, tail, logger)
{
    private readonly Dictionary<string, ChainHead> _heads = new(StringComparer.Ordinal);
    private Statements? _statements;

    /// <summary>The writer's one connection, with the writer's pragmas, and its prepared statements.</summary>
    protected override async ValueTask<IAsyncDisposable?> OpenAsync()
    {
        var connection = new SqliteConnection(connectionString.Value);
        await connection.OpenAsync(CancellationToken.None);
        SqlitePragmas.Apply(connection, Options.Synchronous, writer: true);
        _statements = new Statements(connection);
        return _statements;
    }

    protected override Task CommitGroupAsync(IReadOnlyList<PendingAppend> group)
    {
        var statements = _statements!;
        var results = new AppendOutcome[group.Count][];
        var newHeads = new Dictionary<string, ChainHead>(StringComparer.Ordinal);
        var committed = new List<AuditEvent>();
        try
        {
            using (var transaction = statements.Connection.BeginTransaction())
            {
                statements.Enlist(transaction);
                // Idempotency keys claimed inside this group, so two requests with one key in one commit store once.
                var claimedKeys = new Dictionary<(string, string), AppendOutcome>();
                var now = Timestamps.ToMicroseconds(Time.GetUtcNow());
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

                        var stored = Link(pending.WorkspaceId, content, head, now);
                        statements.Insert(stored);
                        committed.Add(AsRead(stored));
                        head = ChainHead.After(stored);
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
            // Forget every cached head: they are re-read from the store on next use.
            _heads.Clear();
            Failed(group, ex);
            return Task.CompletedTask;
        }
        finally
        {
            statements.Enlist(null);
        }

        foreach (var (workspace, head) in newHeads) _heads[workspace] = head;
        Completed(group, results, newHeads.Keys.ToList(), committed);
        return Task.CompletedTask;
    }

    private ChainHead LoadHead(Statements statements, string workspaceId) =>
        _heads.TryGetValue(workspaceId, out var head) ? head : statements.ReadHead(workspaceId);

    /// <summary>Prepared statements reused for every commit on the writer's one connection.</summary>
    private sealed class Statements : IAsyncDisposable
    {
        private readonly SqliteCommand _insertEvent;
        private readonly SqliteCommand _insertTarget;
        private readonly SqliteCommand _findKey;
        private readonly SqliteCommand _readHead;
        private readonly SqliteParameter[] _eventParams;

        public Statements(SqliteConnection connection)
        {
            Connection = connection;
            _insertEvent = connection.CreateCommand();
            _insertEvent.CommandText =
                $"INSERT INTO events ({string.Join(", ", EventRow.Columns)}) VALUES ({string.Join(", ", EventRow.Columns.Select(c => "$" + c))}) RETURNING row_id";
            _eventParams = EventRow.Columns.Select(c => _insertEvent.Parameters.Add(new SqliteParameter("$" + c, null))).ToArray();

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

        public SqliteConnection Connection { get; }

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
            if (!reader.Read()) return ChainHead.Empty;
            return new ChainHead(reader.GetInt64(0), reader.GetString(1), new DateTime(reader.GetInt64(2), DateTimeKind.Utc));
        }

        public void Insert(AuditEvent e)
        {
            var c = e.Content;
            var values = EventRow.Values(e);
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

        public async ValueTask DisposeAsync()
        {
            _insertEvent.Dispose();
            _insertTarget.Dispose();
            _findKey.Dispose();
            _readHead.Dispose();
            await Connection.DisposeAsync();
        }
    }
}
