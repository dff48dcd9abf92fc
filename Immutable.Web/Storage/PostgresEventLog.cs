using System.Threading.Channels;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.DomainEvents;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Immutable.Web.Storage;

/// <summary>
/// The chain writer on PostgreSQL, correct with any number of app instances sharing the database. Like
/// <see cref="SqliteEventChainWriter"/>, requests queue their events and one loop per instance commits everything
/// queued in one transaction (group commit). Inside that transaction, before anything is read, it takes a
/// transaction-scoped advisory lock per workspace in the group (<see cref="PostgresSql.LockChain"/>, keys in ascending
/// order so two instances never wait on each other in a cycle); appends from every instance to one workspace
/// therefore serialize. The head and the idempotency keys are read inside the lock, never from a cache: another
/// instance may have appended a moment ago.
/// Invariant: an event's sequence is the head read under the lock plus one; the lock is held until commit.
/// Idempotency is exactly-once across instances: keys are looked up under the lock, and the unique index is the
/// backstop (an insert that hits any unique index inserts nothing; the writer then rolls the whole group back and
/// runs it again from a fresh read, where the key is found as a duplicate).
/// </summary>
public sealed partial class PostgresEventLog : BackgroundService, IEventLog
{
    private const int MaxAttempts = 3;

    private readonly Channel<PendingAppend> _queue;
    private readonly NpgsqlDataSource _dataSource;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly IDomainEvents _events;
    private readonly StorageHealth _health;
    private readonly CommittedEventTail _tail;
    private readonly ILogger<PostgresEventLog> _logger;

    public PostgresEventLog(
        NpgsqlDataSource dataSource,
        IOptions<StorageOptions> options,
        TimeProvider time,
        IDomainEvents events,
        StorageHealth health,
        CommittedEventTail tail,
        ILogger<PostgresEventLog> logger)
    {
        _tail = tail;
        _dataSource = dataSource;
        _options = options.Value;
        _time = time;
        _events = events;
        _health = health;
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
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
            await CommitGroupAsync(group);
        }
    }

    private async Task CommitGroupAsync(List<PendingAppend> group)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (results, workspaces, committed) = await TryCommitAsync(group);
                _health.ReportSuccess();
                // This instance's commits only: a reader behind another instance's appends misses and reads the store.
                _tail.Add(committed);
                for (var g = 0; g < group.Count; g++) group[g].Completion.TrySetResult(results[g]);
                if (workspaces.Count > 0) _events.Publish(new EventsAppended(workspaces));
                return;
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsWorthRetry(ex))
            {
                LogCommitRetried(ex, group.Count, attempt);
            }
            catch (Exception ex)
            {
                // Nothing of this group is stored: fail every request in it.
                LogCommitFailed(ex, group.Count);
                var fault = StorageFaults.Classify(ex);
                if (fault is not null) _health.ReportFailure(fault);
                Exception failure = fault is null ? ex : new StorageUnavailableException(fault, ex);
                foreach (var pending in group) pending.Completion.TrySetException(failure);
                return;
            }
        }
    }

    /// <summary>A unique index that held a row (another writer's), a deadlock or a serialization failure: the whole group is rolled back, so running it again from fresh reads is safe.</summary>
    private static bool IsWorthRetry(Exception ex) =>
        ex is ChainConflictException || ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    private async Task<(AppendOutcome[][] Results, List<string> Workspaces, List<AuditEvent> Committed)> TryCommitAsync(List<PendingAppend> group)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);

        var workspaces = group.Select(p => p.WorkspaceId).Distinct(StringComparer.Ordinal)
            .Select(w => (Id: w, Key: PostgresSql.ChainLockKey(w)))
            .OrderBy(w => w.Key).ThenBy(w => w.Id, StringComparer.Ordinal).ToList();
        var heads = new Dictionary<string, ChainHead>(StringComparer.Ordinal);
        var stored = new Dictionary<(string, string), AppendOutcome>();
        foreach (var (workspace, key) in workspaces)
        {
            var keys = group.Where(p => p.WorkspaceId == workspace).SelectMany(p => p.Events)
                .Select(e => e.IdempotencyKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(Command(PostgresSql.LockChain, key));
            batch.BatchCommands.Add(Command(PostgresSql.ReadHead, workspace));
            if (keys.Length > 0) batch.BatchCommands.Add(Command(PostgresSql.FindIdempotencyKeys, workspace, keys));
            await using var reader = await batch.ExecuteReaderAsync(CancellationToken.None);
            await reader.NextResultAsync(CancellationToken.None); // the lock's row (void)
            heads[workspace] = await reader.ReadAsync(CancellationToken.None)
                ? new ChainHead(reader.GetInt64(0), reader.GetString(1), new DateTime(reader.GetInt64(2), DateTimeKind.Utc))
                : new ChainHead(0, null, DateTime.MinValue);
            if (keys.Length > 0 && await reader.NextResultAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                    stored[(workspace, reader.GetString(0))] = new AppendOutcome(Guid.Parse(reader.GetString(1)), Duplicate: true, reader.GetInt64(2), reader.GetString(3));
            }
        }

        var results = new AppendOutcome[group.Count][];
        var committed = new List<AuditEvent>();
        var inserts = new NpgsqlBatch(connection, transaction);
        await using (inserts)
        {
            var eventCommands = new List<NpgsqlBatchCommand>();
            var now = Timestamps.ToMicroseconds(_time.GetUtcNow());
            for (var g = 0; g < group.Count; g++)
            {
                var pending = group[g];
                var head = heads[pending.WorkspaceId];
                var outcomes = new AppendOutcome[pending.Events.Count];
                for (var i = 0; i < pending.Events.Count; i++)
                {
                    var content = pending.Events[i];
                    if (content.IdempotencyKey is { } idempotencyKey && stored.TryGetValue((pending.WorkspaceId, idempotencyKey), out var existing))
                    {
                        outcomes[i] = existing with { Duplicate = true };
                        continue;
                    }
                    // created_at never goes backwards within a workspace, so it orders like the sequence.
                    var createdAt = now > head.LastCreatedAt ? now : head.LastCreatedAt;
                    var e = new AuditEvent
                    {
                        Content = content,
                        WorkspaceId = pending.WorkspaceId,
                        Sequence = head.Sequence + 1,
                        CreatedAt = createdAt,
                        OccurredAt = content.OccurredAt ?? createdAt,
                        PreviousEventHash = head.Hash,
                        EventHash = "",
                    };
                    e = e with { EventHash = EventHashing.ComputeHash(e) };
                    var insert = InsertCommand(e);
                    // As a read of the store gives it back (EventMapping.ToDomain): the content's time is the stored one.
                    committed.Add(e with { Content = content with { OccurredAt = e.OccurredAt } });
                    inserts.BatchCommands.Add(insert);
                    eventCommands.Add(insert);
                    foreach (var target in content.Targets)
                        inserts.BatchCommands.Add(Command(PostgresSql.InsertTarget, e.WorkspaceId, target.Type, (object?)target.Id ?? DBNull.Value, e.Sequence));
                    head = new ChainHead(e.Sequence, e.EventHash, createdAt);
                    outcomes[i] = new AppendOutcome(content.Id, Duplicate: false, e.Sequence, e.EventHash);
                    if (content.IdempotencyKey is { } claimed) stored[(pending.WorkspaceId, claimed)] = outcomes[i];
                }
                heads[pending.WorkspaceId] = head;
                results[g] = outcomes;
            }
            if (inserts.BatchCommands.Count > 0)
            {
                await inserts.ExecuteNonQueryAsync(CancellationToken.None);
                // ON CONFLICT DO NOTHING inserted nothing: a unique index already holds the row. Roll back, read again.
                if (eventCommands.Any(c => c.RecordsAffected != 1)) throw new ChainConflictException();
            }
        }
        await transaction.CommitAsync(CancellationToken.None);
        // Like the SQLite writer: every workspace of the group is announced (duplicates only included).
        return (results, workspaces.Select(w => w.Id).ToList(), committed);
    }

    private static NpgsqlBatchCommand InsertCommand(AuditEvent e)
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
        var command = new NpgsqlBatchCommand(PostgresSql.InsertEvent);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    [LoggerMessage(LogLevel.Error, "Group commit of {RequestCount} append requests failed; none was stored.")]
    private partial void LogCommitFailed(Exception ex, int requestCount);

    [LoggerMessage(LogLevel.Information, "Group commit of {RequestCount} append requests met another writer's row (attempt {Attempt}); rolled back and retried from a fresh read.")]
    private partial void LogCommitRetried(Exception ex, int requestCount, int attempt);

    private sealed record PendingAppend(string WorkspaceId, IReadOnlyList<EventContent> Events)
    {
        public TaskCompletionSource<IReadOnlyList<AppendOutcome>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct ChainHead(long Sequence, string? Hash, DateTime LastCreatedAt);

    private sealed class ChainConflictException() : Exception("An insert met a row a unique index already holds.");
}
