using System.Threading.Channels;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.DomainEvents;

namespace Immutable.Web.Storage;

/// <summary>
/// What every chain writer shares, whatever the database: requests queue their events in a bounded channel; one loop
/// takes everything queued (up to <see cref="StorageOptions.MaxEventsPerCommit"/>) and hands it to the provider's
/// <see cref="CommitGroupAsync"/>, which links and stores the whole group in one transaction (group commit); only
/// after the commit are the requests completed, the committed events offered to the <see cref="CommittedEventTail"/>
/// and <see cref="EventsAppended"/> published. A failed group fails every request in it, a storage fault as
/// <see cref="StorageUnavailableException"/> (503). The providers differ only in how they read heads and keys and
/// insert: <see cref="SqliteEventChainWriter"/> (one process, heads cached) and <see cref="PostgresEventLog"/>
/// (any number of instances, heads read under an advisory lock).
/// </summary>
public abstract partial class GroupCommitEventLog : BackgroundService, IEventLog
{
    private readonly Channel<PendingAppend> _queue;
    private readonly IDomainEvents _events;
    private readonly StorageHealth _health;
    private readonly CommittedEventTail _tail;

    protected GroupCommitEventLog(
        StorageOptions options,
        TimeProvider time,
        IDomainEvents events,
        StorageHealth health,
        CommittedEventTail tail,
        ILogger logger)
    {
        Options = options;
        Time = time;
        _events = events;
        _health = health;
        _tail = tail;
        Logger = logger;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.MaxPendingAppends)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    protected StorageOptions Options { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

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
        await using var session = await OpenAsync();
        var group = new List<PendingAppend>();
        var reader = _queue.Reader;
        // Not cancelled by stoppingToken: StopAsync completes the channel and the loop drains it.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var eventCount = 0;
            while (eventCount < Options.MaxEventsPerCommit && reader.TryRead(out var next))
            {
                group.Add(next);
                eventCount += next.Events.Count;
            }
            await CommitGroupAsync(group);
        }
    }

    /// <summary>What the writer holds for its whole life (SQLite: one connection and its prepared statements).</summary>
    protected virtual ValueTask<IAsyncDisposable?> OpenAsync() => ValueTask.FromResult<IAsyncDisposable?>(null);

    /// <summary>Links and stores the group in one transaction, then calls <see cref="Completed"/> or <see cref="Failed"/>.</summary>
    protected abstract Task CommitGroupAsync(IReadOnlyList<PendingAppend> group);

    /// <summary>After the commit: the store is healthy, readers see the events, the requests complete, subscribers hear of it.</summary>
    protected void Completed(IReadOnlyList<PendingAppend> group, AppendOutcome[][] results, IReadOnlyList<string> workspaces, List<AuditEvent> committed)
    {
        _health.ReportSuccess();
        _tail.Add(committed);
        for (var g = 0; g < group.Count; g++) group[g].Completion.TrySetResult(results[g]);
        if (workspaces.Count > 0) _events.Publish(new EventsAppended(workspaces));
    }

    /// <summary>
    /// Nothing of the group is stored: every request in it fails. A storage fault (disk full, read-only, database
    /// down...) is reported as such, so callers answer 503 and retry later.
    /// </summary>
    protected void Failed(IReadOnlyList<PendingAppend> group, Exception ex)
    {
        LogCommitFailed(Logger, ex, group.Count);
        var fault = StorageFaults.Classify(ex);
        if (fault is not null) _health.ReportFailure(fault);
        var failure = fault is null ? ex : new StorageUnavailableException(fault, ex);
        foreach (var pending in group) pending.Completion.TrySetException(failure);
    }

    /// <summary>
    /// The event <paramref name="content"/> becomes when appended after <paramref name="head"/>: the next sequence,
    /// linked to the head's hash, hashed. created_at never goes backwards within a workspace, so it orders like the
    /// sequence.
    /// </summary>
    protected static AuditEvent Link(string workspaceId, EventContent content, ChainHead head, DateTime now)
    {
        var createdAt = now > head.LastCreatedAt ? now : head.LastCreatedAt;
        var linked = new AuditEvent
        {
            Content = content,
            WorkspaceId = workspaceId,
            Sequence = head.Sequence + 1,
            CreatedAt = createdAt,
            OccurredAt = content.OccurredAt ?? createdAt,
            PreviousEventHash = head.Hash,
            EventHash = "",
        };
        return linked with { EventHash = EventHashing.ComputeHash(linked) };
    }

    /// <summary>The event as a read of the store gives it back (EventMapping.ToDomain): the content's time is the stored one.</summary>
    protected static AuditEvent AsRead(AuditEvent stored) =>
        stored with { Content = stored.Content with { OccurredAt = stored.OccurredAt } };

    [LoggerMessage(LogLevel.Error, "Group commit of {RequestCount} append requests failed; none was stored.")]
    private static partial void LogCommitFailed(ILogger logger, Exception ex, int requestCount);

    protected sealed record PendingAppend(string WorkspaceId, IReadOnlyList<EventContent> Events)
    {
        public TaskCompletionSource<IReadOnlyList<AppendOutcome>> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A workspace's last committed event: what the next one links to.</summary>
    protected readonly record struct ChainHead(long Sequence, string? Hash, DateTime LastCreatedAt)
    {
        public static ChainHead Empty => new(0, null, DateTime.MinValue);

        public static ChainHead After(AuditEvent e) => new(e.Sequence, e.EventHash, e.CreatedAt);
    }
}
