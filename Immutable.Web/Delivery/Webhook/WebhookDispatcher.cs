using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>The outcome of one attempt, decided from the receiver's answer (channels return results; the outbox retries).</summary>
public enum AttemptOutcome
{
    Delivered,
    TransientFailure,
    PermanentFailure,
    /// <summary>410 Gone: the receiver asks us to stop; the endpoint is paused.</summary>
    Gone,
}

/// <summary>
/// Sends due outbox rows: timeout per attempt, exponential backoff with jitter, a retry cap, then dead-letter.
/// Every attempt is logged. A crash after the receiver answered but before the row was updated resends once:
/// receivers dedupe on <c>X-Immutable-Delivery</c>.
/// </summary>
public sealed partial class WebhookDispatcher(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    IHttpClientFactory httpFactory,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    IOptions<PublicUrlOptions> publicUrl,
    IOptions<Streams.LogStreamOptions> streamOptions,
    ILogger<WebhookDispatcher> logger) : BackgroundService, IDomainEventSubscriber
{
    public const string HttpClientName = "webhooks";
    private readonly SemaphoreSlim _wake = new(0);

    public static AttemptOutcome Classify(HttpStatusCode? status) => status switch
    {
        null => AttemptOutcome.TransientFailure,
        HttpStatusCode.Gone => AttemptOutcome.Gone,
        >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices => AttemptOutcome.Delivered,
        HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => AttemptOutcome.TransientFailure,
        >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError => AttemptOutcome.PermanentFailure,
        _ => AttemptOutcome.TransientFailure, // 3xx (no redirects followed), 5xx
    };

    /// <summary>Delay before attempt n+1: base × 2^(n−1), ±20 % jitter, at most one hour.</summary>
    public static TimeSpan Backoff(int attemptsSoFar, int baseSeconds, double jitter01)
    {
        var seconds = Math.Min(3600, baseSeconds * Math.Pow(2, Math.Max(0, attemptsSoFar - 1)));
        return TimeSpan.FromSeconds(seconds * (0.8 + 0.4 * jitter01));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var sent = 0;
                try
                {
                    sent = await DispatchDueAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogDispatchFailed(ex);
                }
                if (sent == 0) await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deliveries were queued: send them now rather than at the next poll.</summary>
    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        if (domainEvent is DeliveriesEnqueued && _wake.CurrentCount == 0) _wake.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends every due delivery once; returns how many were attempted.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        List<(DeliveryRecord Delivery, WebhookEndpointRecord Endpoint)> due;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var query = from d in db.Deliveries.AsNoTracking()
                        join e in db.WebhookEndpoints.AsNoTracking() on d.EndpointId equals e.Id
                        select new { d, e };
            if (db.IsPostgres())
            {
                // Several instances: only the rows this one claimed (each due delivery goes to one instance).
                var claimed = await DeliveryClaims.ClaimDueAsync(db, now, BatchSize, now + ClaimLease, ct);
                if (claimed.Count == 0) return 0;
                query = query.Where(x => claimed.Contains(x.d.RowId));
            }
            else
            {
                query = query.Where(x => x.d.Status == "pending" && x.d.NextAttemptAt <= now && x.e.Enabled && x.e.PausedAt == null);
            }
            due = (await query.OrderBy(x => x.d.NextAttemptAt).ThenBy(x => x.d.RowId).Take(BatchSize).ToListAsync(ct))
                .Select(x => (x.d, x.e)).ToList();
        }
        if (due.Count == 0) return 0;
        var results = new ConcurrentBag<AttemptResult>();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (item, token) => results.Add(await SendAsync(item.Delivery, item.Endpoint, token)));
        await RecordAsync(results);
        return due.Count;
    }

    private const int BatchSize = 256, Parallelism = 16;

    /// <summary>
    /// How long a claimed batch is this instance's (PostgreSQL): every attempt of the batch may take the full timeout,
    /// 16 at a time, plus a minute to record them. Another instance sends what is still unrecorded after it (the
    /// receiver dedupes on <c>X-Immutable-Delivery</c>, as after a crash).
    /// </summary>
    private TimeSpan ClaimLease => TimeSpan.FromSeconds(options.Value.TimeoutSeconds * (BatchSize / Parallelism) + 60);

    private sealed record AttemptResult(DeliveryRecord Delivery, WebhookEndpointRecord Endpoint, HttpStatusCode? Status, string? Error, string? Excerpt, bool Blocked, double LatencyMs);

    private async Task<AttemptResult> SendAsync(DeliveryRecord delivery, WebhookEndpointRecord endpoint, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        var unix = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSigner.SignatureHeader, WebhookSigner.Sign(endpoint.Secret, body));
        request.Headers.Add(WebhookSigner.TimestampedSignatureHeader, WebhookSigner.SignTimestamped(endpoint.Secret, unix, body));
        request.Headers.Add(WebhookSigner.TimestampHeader, unix.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSigner.DeliveryHeader, delivery.Id);
        request.Headers.Add(WebhookSigner.EventHeader, delivery.EventType);
        request.Headers.UserAgent.ParseAdd("Immutable-Webhooks/1");

        HttpStatusCode? status = null;
        string? error = null, excerpt = null;
        var blocked = false;
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
            using var response = await httpFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = response.StatusCode;
            excerpt = await ReadExcerptAsync(response.Content, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"timed out after {options.Value.TimeoutSeconds} s";
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlockedAddressException blockedAddress)
        {
            error = "blocked: " + blockedAddress.Message;
            blocked = true;
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }
        return new AttemptResult(delivery, endpoint, status, error, excerpt, blocked, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Characters of the receiver's answer kept in the delivery log.</summary>
    public const int ExcerptChars = 512;

    /// <summary>
    /// Invariant: a receiver's body costs at most a fixed buffer, whatever it sends (200 MiB, or a body that never
    /// ends): read a prefix big enough for <see cref="ExcerptChars"/> UTF-8 characters, then stop. Disposing the
    /// response drops the connection (the handler drains nothing: <c>MaxResponseDrainSize = 0</c>).
    /// </summary>
    public static async Task<string> ReadExcerptAsync(HttpContent content, CancellationToken ct)
    {
        var buffer = new byte[ExcerptChars * 4];
        await using var stream = await content.ReadAsStreamAsync(ct);
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0) break;
            filled += read;
        }
        // A full buffer may end inside a multi-byte sequence: decode only whole characters.
        var length = filled == buffer.Length ? WholeUtf8Prefix(buffer) : filled;
        var text = Encoding.UTF8.GetString(buffer, 0, length);
        if (text.Length > ExcerptChars) text = text[..ExcerptChars];
        if (text.Length > 0 && char.IsHighSurrogate(text[^1])) text = text[..^1];
        return text;
    }

    private static int WholeUtf8Prefix(ReadOnlySpan<byte> bytes)
    {
        // Step back over continuation bytes (10xxxxxx) to the last lead byte; drop it if its sequence is cut.
        var i = bytes.Length - 1;
        while (i > 0 && (bytes[i] & 0xC0) == 0x80) i--;
        var lead = bytes[i];
        var needed = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return i + needed <= bytes.Length ? bytes.Length : i;
    }

    /// <summary>
    /// Records a batch of attempts in one transaction (one commit, not one per delivery). A delivery whose row or endpoint
    /// was deleted while it was in flight (the endpoint or stream was removed) has nothing left to record: it is skipped,
    /// and a deletion that lands between this read and the save makes it read again once.
    /// </summary>
    private async Task RecordAsync(IEnumerable<AttemptResult> results)
    {
        var list = results.ToList();
        (List<string> Delivered, List<DeliveryRecord> Dead, DateTime At) recorded;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                recorded = await RecordOnceAsync(list);
                break;
            }
            // Only the save is retried (it rolled back as a whole): what follows the commit runs once, below.
            catch (DbUpdateException ex) when (attempt < 3 && (ex is DbUpdateConcurrencyException || StorageFaults.Classify(ex) is null))
            {
                LogRecordRetried(ex.GetType().Name);
            }
        }
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
            await NotificationMarks.MarkNotifiedAsync(db, recorded.Delivered, recorded.At);
        foreach (var row in recorded.Dead) LogDeadLetter(row.Id, row.EndpointId, row.Attempts, row.LastError);
    }

    /// <summary>
    /// Reads the rows afresh, applies every attempt to those still there, saves; returns what the commit settled.
    /// The endpoints' failure counts and pauses change in SQL (<see cref="EndpointCounters"/>), not from the values read
    /// here: another instance may be recording attempts to the same endpoint at this moment.
    /// </summary>
    private async Task<(List<string> Delivered, List<DeliveryRecord> Dead, DateTime At)> RecordOnceAsync(List<AttemptResult> list)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var rowIds = list.Select(r => r.Delivery.RowId).ToList();
        var rows = await db.Deliveries.Where(d => rowIds.Contains(d.RowId)).ToDictionaryAsync(d => d.RowId, CancellationToken.None);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var dead = new List<DeliveryRecord>();
        var endpointIds = list.Select(r => r.Endpoint.Id).Distinct().ToList();
        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, CancellationToken.None);
        // Per endpoint, in attempt order: did a delivery restart the count, failures since, the last error, a 410.
        var tallies = new Dictionary<string, (bool Restart, int Failures, string? LastError, bool Gone)>(StringComparer.Ordinal);
        foreach (var r in list)
        {
            if (!rows.TryGetValue(r.Delivery.RowId, out var row) || !endpoints.ContainsKey(r.Endpoint.Id)) continue;
            var outcome = r.Blocked ? AttemptOutcome.PermanentFailure : Classify(r.Status);
            db.DeliveryAttempts.Add(new DeliveryAttemptRecord
            {
                DeliveryRowId = row.RowId, AttemptedAt = now, StatusCode = (int?)r.Status, LatencyMs = Math.Round(r.LatencyMs, 1), Error = r.Error, ResponseExcerpt = r.Excerpt,
            });
            row.Attempts++;
            row.LastError = outcome == AttemptOutcome.Delivered ? null : r.Error ?? $"HTTP {(int?)r.Status}";
            var tally = tallies.GetValueOrDefault(r.Endpoint.Id);
            tallies[r.Endpoint.Id] = outcome == AttemptOutcome.Delivered
                ? (true, 0, tally.LastError, tally.Gone)
                : (tally.Restart, tally.Failures + 1, row.LastError, tally.Gone || outcome == AttemptOutcome.Gone);
            switch (outcome)
            {
                case AttemptOutcome.Delivered:
                    row.Status = "delivered";
                    row.DeliveredAt = now;
                    break;
                case AttemptOutcome.Gone:
                case AttemptOutcome.PermanentFailure:
                    row.Status = "dead";
                    break;
                case AttemptOutcome.TransientFailure:
                    if (row.Attempts >= options.Value.MaxAttempts) row.Status = "dead";
                    else row.NextAttemptAt = now + Backoff(row.Attempts, options.Value.BaseBackoffSeconds, Random.Shared.NextDouble());
                    break;
            }
            if (row.Status == "dead") dead.Add(row);
        }
        var paused = new List<(WebhookEndpointRecord Endpoint, string Reason)>();
        foreach (var (endpointId, tally) in tallies)
        {
            var endpoint = endpoints[endpointId];
            var count = await EndpointCounters.CountAsync(db, endpointId, tally.Restart, tally.Failures, CancellationToken.None);
            if (count is null) continue;
            var limit = endpoint.Kind == WebhookKinds.LogStream ? streamOptions.Value.ErrorAfterFailures : options.Value.PauseAfterFailures;
            var reason = tally.Gone ? "the receiver answered 410 Gone"
                : count >= limit && tally.Failures > 0 ? $"{count} failed attempts in a row (last: {tally.LastError})"
                : null;
            if (reason is not null && await EndpointCounters.TryPauseAsync(db, endpointId, reason, now, CancellationToken.None))
            {
                QueuePausedEmail(db, endpoint, reason, now);
                paused.Add((endpoint, reason));
            }
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        foreach (var (endpoint, reason) in paused) LogPaused(endpoint.Id, reason);
        return (rows.Values.Where(d => d.Status == "delivered" && d.RecordId is not null).Select(d => d.RecordId!).ToList(), dead, now);
    }

    /// <summary>
    /// Tells the workspace's owners and admins that the endpoint was paused (a log stream: put in "error", it stops
    /// until re-enabled), queued in the same transaction as the pause.
    /// </summary>
    private void QueuePausedEmail(ImmutableDbContext db, WebhookEndpointRecord endpoint, string reason, DateTime now)
    {
        if (endpoint.Kind == WebhookKinds.LogStream)
        {
            db.EmailItems.Add(new EmailItemRecord
            {
                WorkspaceId = endpoint.WorkspaceId, Kind = "log stream", RecordId = endpoint.Id, Severity = "high",
                Title = "Log stream stopped", Reason = $"The log stream to {endpoint.Url} is in error and has stopped: {reason}. No event is lost: fix the receiver, then enable the stream again and it resumes where it stopped.",
                Link = publicUrl.Value.Base + "/settings", CreatedAt = now,
            });
            return;
        }
        db.EmailItems.Add(new EmailItemRecord
        {
            WorkspaceId = endpoint.WorkspaceId, Kind = "webhook endpoint", RecordId = endpoint.Id, Severity = "high",
            Title = "Webhook endpoint paused", Reason = $"Deliveries to {endpoint.Url} are paused: {reason}. Fix the receiver, then enable the endpoint again.",
            Link = publicUrl.Value.Base + "/settings/webhooks", CreatedAt = now,
        });
    }

    [LoggerMessage(LogLevel.Information, "Recording delivery attempts met a concurrent change ({Kind}); recording again without what was deleted.")]
    private partial void LogRecordRetried(string kind);

    [LoggerMessage(LogLevel.Warning, "Webhook endpoint {Endpoint} paused: {Reason}")]
    private partial void LogPaused(string endpoint, string reason);

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Webhook dispatch loop failed; retrying on the next poll.")]
    private partial void LogDispatchFailed(Exception ex);

    [LoggerMessage(LogLevel.Warning, "Webhook delivery {Delivery} to endpoint {Endpoint} dead-lettered after {Attempts} attempt(s): {Error}")]
    private partial void LogDeadLetter(string delivery, string endpoint, int attempts, string? error);
}
