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
public sealed partial class PostgresEventLog(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> options,
    TimeProvider time,
    IDomainEvents events,
    StorageHealth health,
    CommittedEventTail tail,
    ILogger<PostgresEventLog> logger)
    : GroupCommitEventLog(options.Value, time, events, health, tail, logger)
{
    private const int MaxAttempts = 3;

    protected override async Task CommitGroupAsync(IReadOnlyList<PendingAppend> group)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (results, workspaces, committed) = await TryCommitAsync(group);
                // This instance's commits only reach its tail: a reader behind another instance's appends misses and reads the store.
                Completed(group, results, workspaces, committed);
                return;
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsWorthRetry(ex))
            {
                LogCommitRetried(Logger, ex, group.Count, attempt);
            }
            catch (Exception ex)
            {
                Failed(group, ex);
                return;
            }
        }
    }

    /// <summary>A unique index that held a row (another writer's), a deadlock or a serialization failure: the whole group is rolled back, so running it again from fresh reads is safe.</summary>
    private static bool IsWorthRetry(Exception ex) =>
        ex is ChainConflictException || ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    private async Task<(AppendOutcome[][] Results, List<string> Workspaces, List<AuditEvent> Committed)> TryCommitAsync(IReadOnlyList<PendingAppend> group)
    {
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
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
                : ChainHead.Empty;
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
            var now = Timestamps.ToMicroseconds(Time.GetUtcNow());
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
                    var e = Link(pending.WorkspaceId, content, head, now);
                    var insert = InsertCommand(e);
                    committed.Add(AsRead(e));
                    inserts.BatchCommands.Add(insert);
                    eventCommands.Add(insert);
                    foreach (var target in content.Targets)
                        inserts.BatchCommands.Add(Command(PostgresSql.InsertTarget, e.WorkspaceId, target.Type, (object?)target.Id ?? DBNull.Value, e.Sequence));
                    head = ChainHead.After(e);
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
        var command = new NpgsqlBatchCommand(PostgresSql.InsertEvent);
        foreach (var value in EventRow.Values(e)) command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    [LoggerMessage(LogLevel.Information, "Group commit of {RequestCount} append requests met another writer's row (attempt {Attempt}); rolled back and retried from a fresh read.")]
    private static partial void LogCommitRetried(ILogger logger, Exception ex, int requestCount, int attempt);

    private sealed class ChainConflictException() : Exception("An insert met a row a unique index already holds.");
}
