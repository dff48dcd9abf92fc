using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Events;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Streams;

/// <summary>
/// Feeds every ingested event to the workspace's log streams through the webhook outbox.
/// <code>
///   chain writer commit ──EventsAppended──▶ this worker (own loop; ingest never waits for it)
///        reads events after each stream's checkpoint ──▶ one delivery row per event, or per batch when behind
///        + the new checkpoint, in one transaction ──DeliveriesEnqueued──▶ WebhookDispatcher (signing, retries)
/// </code>
/// Invariant: a stream's checkpoint moves only in the transaction that writes the deliveries of the events up to it, so
/// every event after the stream's creation is put in the outbox exactly once (at least once on the wire: receivers
/// dedupe on X-Immutable-Delivery or the event id), in sequence order. A stream in error is skipped, its checkpoint kept:
/// enabling it again resumes where it stopped.
/// </summary>
public sealed partial class LogStreamWorker(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IDomainEvents events,
    IOptions<LogStreamOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    TimeProvider time,
    ILogger<LogStreamWorker> logger) : BackgroundService, IDomainEventSubscriber
{
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    // Workspaces with a stream, refreshed by each sweep (null until the first): commits of other workspaces cost nothing.
    private volatile HashSet<string>? _withStreams;
    private int _changes;

    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        switch (domainEvent)
        {
            case EventsAppended appended:
                var withStreams = _withStreams;
                var any = false;
                foreach (var ws in appended.WorkspaceIds)
                {
                    if (withStreams is not null && !withStreams.Contains(ws)) continue;
                    _pending[ws] = 0;
                    any = true;
                }
                if (!any) return ValueTask.CompletedTask;
                break;
            case LogStreamChanged changed:
                Interlocked.Increment(ref _changes);
                _withStreams = null; // reloaded by the next sweep, which this change triggers
                _pending[changed.WorkspaceId] = 0;
                break;
            default:
                return ValueTask.CompletedTask;
        }
        if (_wake.CurrentCount == 0) _wake.Release();
        return ValueTask.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastSweep = time.GetTimestamp();
        var first = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var sweep = first || _withStreams is null || time.GetElapsedTime(lastSweep) >= TimeSpan.FromSeconds(options.Value.SweepSeconds);
                    first = false;
                    if (sweep) lastSweep = time.GetTimestamp();
                    await PumpAsync(sweep, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPumpFailed(ex);
                }
                await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.SweepSeconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Puts every pending event of the woken workspaces (all workspaces with streams on a sweep) in the outbox.</summary>
    public async Task<int> PumpAsync(bool everyWorkspace, CancellationToken ct)
    {
        var workspaces = _pending.Keys.ToList();
        foreach (var ws in workspaces) _pending.TryRemove(ws, out _);
        if (everyWorkspace)
        {
            var changes = Volatile.Read(ref _changes);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var withStreams = await db.WebhookEndpoints.AsNoTracking()
                .Where(e => e.Kind == WebhookKinds.LogStream)
                .Select(e => e.WorkspaceId).Distinct().ToListAsync(ct);
            // A stream changed while this ran: the list may predate it, so leave it unset and sweep again.
            if (Volatile.Read(ref _changes) == changes) _withStreams = new HashSet<string>(withStreams, StringComparer.Ordinal);
            workspaces = workspaces.Union(withStreams).ToList();
        }
        var written = 0;
        foreach (var ws in workspaces) written += await PumpWorkspaceAsync(ws, ct);
        return written;
    }

    private async Task<int> PumpWorkspaceAsync(string workspaceId, CancellationToken ct)
    {
        var written = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var streams = await db.WebhookEndpoints
                .Where(e => e.WorkspaceId == workspaceId && e.Kind == WebhookKinds.LogStream && e.Enabled && e.PausedAt == null)
                .ToListAsync(ct);
            if (streams.Count == 0) return written;
            var from = streams.Min(s => s.StreamCheckpoint);
            var rows = await db.Events.AsNoTracking()
                .Where(e => e.WorkspaceId == workspaceId && e.Sequence > from)
                .OrderBy(e => e.Sequence).Take(options.Value.MaxEventsPerDelivery).ToListAsync(ct);
            if (rows.Count == 0) return written;
            var now = Timestamps.ToMicroseconds(time.GetUtcNow());
            var serialized = rows.ToDictionary(r => r.Sequence, r => JsonSerializer.SerializeToNode(EventJson.From(r), json.Value.SerializerOptions)!);
            foreach (var stream in streams)
            {
                var batch = new List<EventRecord>();
                var bytes = 0;
                foreach (var row in rows)
                {
                    if (row.Sequence <= stream.StreamCheckpoint) continue;
                    var size = serialized[row.Sequence].ToJsonString().Length;
                    if (batch.Count > 0 && bytes + size > options.Value.MaxBytesPerDelivery) break;
                    batch.Add(row);
                    bytes += size;
                }
                if (batch.Count == 0) continue;
                var single = batch.Count == 1;
                var payload = single
                    ? Envelope(serialized[batch[0].Sequence], workspaceId, now)
                    : new JsonObject
                    {
                        ["event_type"] = "event.batch",
                        ["workspace_id"] = workspaceId,
                        ["timestamp"] = Timestamps.ToIso(now),
                        ["events"] = new JsonArray([.. batch.Select(r => (JsonNode)Envelope(serialized[r.Sequence], workspaceId, now))]),
                    };
                db.Deliveries.Add(new DeliveryRecord
                {
                    Id = "dlv_" + Guid.NewGuid().ToString("D"),
                    WorkspaceId = workspaceId,
                    EndpointId = stream.Id,
                    EventType = single ? "event.created" : "event.batch",
                    RecordId = single ? batch[0].Id : null, // the event id, shown in the delivery log
                    Payload = payload.ToJsonString(),
                    Status = "pending",
                    NextAttemptAt = now,
                    CreatedAt = now,
                });
                stream.StreamCheckpoint = batch[^1].Sequence;
                written++;
            }
            await db.SaveChangesAsync(ct);
            events.Publish(new DeliveriesEnqueued(workspaceId));
        }
    }

    /// <summary>One event as a stream sends it: <c>{"event_type":"event.created","data":{the event},"workspace_id","timestamp"}</c>.</summary>
    private static JsonObject Envelope(JsonNode eventJson, string workspaceId, DateTime now) => new()
    {
        ["event_type"] = "event.created",
        ["data"] = eventJson.DeepClone(),
        ["workspace_id"] = workspaceId,
        ["timestamp"] = Timestamps.ToIso(now),
    };

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Log stream pump failed; retrying on the next wake-up.")]
    private partial void LogPumpFailed(Exception ex);
}
