using System.Text.Json;
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
///        takes events after each stream's checkpoint (from memory right behind ingest, else the store)
///        ──▶ one delivery row per event, or per batch when behind
///        + the new checkpoint, in one transaction ──DeliveriesEnqueued──▶ WebhookDispatcher (signing, retries)
/// </code>
/// Invariant: a stream's checkpoint moves only in the transaction that writes the deliveries of the events up to it, so
/// every event after the stream's creation is put in the outbox exactly once (at least once on the wire: receivers
/// dedupe on X-Immutable-Delivery or the event id), in sequence order. A stream in error is skipped, its checkpoint kept:
/// enabling it again resumes where it stopped.
/// </summary>
public sealed partial class LogStreamWorker(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    CommittedEventTail tail,
    IDomainEvents events,
    LeaseStore leases,
    IOptions<LogStreamOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    TimeProvider time,
    ILogger<LogStreamWorker> logger) : BackgroundService, IDomainEventSubscriber
{
    private readonly WorkspaceWakeups _wakeups = new();
    // Workspaces with a stream, refreshed by each sweep (null until the first): commits of other workspaces cost nothing.
    private volatile HashSet<string>? _withStreams;
    private int _changes;

    /// <summary>
    /// Stream changes on another instance matter here (its list of workspaces with streams); its appends do not: each
    /// instance pumps its own commits at once, and every instance's sweep finds what is left.
    /// </summary>
    public bool ReceivesFromPeers(DomainEvent domainEvent) => domainEvent is not EventsAppended;

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
                    _wakeups.Mark(ws);
                    any = true;
                }
                if (!any) return ValueTask.CompletedTask;
                break;
            case LogStreamChanged changed:
                Interlocked.Increment(ref _changes);
                _withStreams = null; // reloaded by the next sweep, which this change triggers
                _wakeups.Mark(changed.WorkspaceId);
                break;
            case PeerEventsMissed:
                Interlocked.Increment(ref _changes);
                _withStreams = null;
                break;
            default:
                return ValueTask.CompletedTask;
        }
        _wakeups.Wake();
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
                    // Busy (this pump wrote deliveries): let the next events gather for a moment, so a stream under load
                    // costs one outbox write and one POST per window, not per commit. A first event after quiet goes at once.
                    if (await PumpAsync(sweep, stoppingToken) > 0 && options.Value.BatchWindowMilliseconds > 0)
                        await Task.Delay(options.Value.BatchWindowMilliseconds, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPumpFailed(ex);
                }
                await _wakeups.WaitAsync(TimeSpan.FromSeconds(options.Value.SweepSeconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Puts every pending event of the woken workspaces (all workspaces with streams on a sweep) in the outbox.</summary>
    public async Task<int> PumpAsync(bool everyWorkspace, CancellationToken ct)
    {
        var workspaces = _wakeups.Take();
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
            // Several instances: one pumps a workspace's streams at a time (the lease, renewed by each pump), else two
            // would read the same checkpoint and put the same events in the outbox twice. On PostgreSQL the lease is
            // taken inside the pump's transaction, so its row stays locked until the checkpoint moves; on SQLite (one
            // process) a plain statement, so the pump does not hold the write lock while it serializes.
            await using var transaction = db.IsPostgres() ? await db.Database.BeginTransactionAsync(ct) : null;
            if (!await leases.TryAcquireAsync(db, LeaseName(workspaceId), Lease, ct)) return written;
            var streams = await db.WebhookEndpoints
                .Where(e => e.WorkspaceId == workspaceId && e.Kind == WebhookKinds.LogStream && e.Enabled && e.PausedAt == null)
                .ToListAsync(ct);
            if (streams.Count == 0) return written;
            var from = streams.Min(s => s.StreamCheckpoint);
            var rows = await ReadAsync(db, workspaceId, from, ct);
            if (rows.Count == 0) return written;
            var now = Timestamps.ToMicroseconds(time.GetUtcNow());
            foreach (var stream in streams)
            {
                var first = rows.FindIndex(r => r.Sequence > stream.StreamCheckpoint);
                if (first < 0) continue;
                var count = 0;
                var bytes = 0;
                for (var i = first; i < rows.Count; i++)
                {
                    if (count > 0 && bytes + rows[i].Json.Length > options.Value.MaxBytesPerDelivery) break;
                    bytes += rows[i].Json.Length;
                    count++;
                }
                var batch = rows.GetRange(first, count);
                var single = batch.Count == 1;
                db.Deliveries.Add(new DeliveryRecord
                {
                    Id = "dlv_" + Guid.NewGuid().ToString("D"),
                    WorkspaceId = workspaceId,
                    EndpointId = stream.Id,
                    EventType = single ? "event.created" : "event.batch",
                    RecordId = single ? batch[0].Id : null, // the event id, shown in the delivery log
                    Payload = Payload(batch, workspaceId, now),
                    Status = "pending",
                    NextAttemptAt = now,
                    CreatedAt = now,
                });
                stream.StreamCheckpoint = batch[^1].Sequence;
                written++;
            }
            await db.SaveChangesAsync(ct);
            if (transaction is not null) await transaction.CommitAsync(ct);
            events.Publish(new DeliveriesEnqueued(workspaceId));
        }
    }

    /// <summary>How long a workspace's streams stay with the instance that pumped them last (another takes over after).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(20);

    public static string LeaseName(string workspaceId) => "log-streams:" + workspaceId;

    private sealed record StreamedEvent(long Sequence, string Id, byte[] Json);

    /// <summary>
    /// The events after <paramref name="after"/>, each serialized once: from memory when the stream is right behind
    /// ingest (<see cref="CommittedEventTail"/>), else from the store.
    /// </summary>
    private async Task<List<StreamedEvent>> ReadAsync(ImmutableDbContext db, string workspaceId, long after, CancellationToken ct)
    {
        var max = options.Value.MaxEventsPerDelivery;
        var serializer = json.Value.SerializerOptions;
        if (tail.TryRead(workspaceId, after, max) is { } recent)
            return recent.Select(e => new StreamedEvent(e.Sequence, e.Content.Id.ToString("D"), JsonSerializer.SerializeToUtf8Bytes(EventJson.From(e), serializer))).ToList();
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.WorkspaceId == workspaceId && e.Sequence > after)
            .OrderBy(e => e.Sequence).Take(max).ToListAsync(ct);
        return rows.Select(r => new StreamedEvent(r.Sequence, r.Id, JsonSerializer.SerializeToUtf8Bytes(EventJson.From(r), serializer))).ToList();
    }

    /// <summary>
    /// One event: <c>{"event_type":"event.created","data":{the event},"workspace_id","timestamp"}</c>; several:
    /// <c>{"event_type":"event.batch","workspace_id","timestamp","events":[one envelope per event]}</c>. Written straight
    /// from each event's bytes, without building a document.
    /// </summary>
    private static string Payload(List<StreamedEvent> batch, string workspaceId, DateTime now)
    {
        var timestamp = Timestamps.ToIso(now);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(batch.Sum(e => e.Json.Length + 160) + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (batch.Count == 1) Envelope(writer, batch[0], workspaceId, timestamp);
            else
            {
                writer.WriteStartObject();
                writer.WriteString("event_type", "event.batch");
                writer.WriteString("workspace_id", workspaceId);
                writer.WriteString("timestamp", timestamp);
                writer.WriteStartArray("events");
                foreach (var e in batch) Envelope(writer, e, workspaceId, timestamp);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Envelope(Utf8JsonWriter writer, StreamedEvent e, string workspaceId, string timestamp)
    {
        writer.WriteStartObject();
        writer.WriteString("event_type", "event.created");
        writer.WritePropertyName("data");
        writer.WriteRawValue(e.Json, skipInputValidation: true);
        writer.WriteString("workspace_id", workspaceId);
        writer.WriteString("timestamp", timestamp);
        writer.WriteEndObject();
    }

    public override void Dispose()
    {
        _wakeups.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Log stream pump failed; retrying on the next wake-up.")]
    private partial void LogPumpFailed(Exception ex);
}
