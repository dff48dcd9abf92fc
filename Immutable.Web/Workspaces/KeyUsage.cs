using System.Collections.Concurrent;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Workspaces;

/// <summary>
/// <c>last_used_at</c> per API key without a database write per request: authentication only notes the time in
/// memory (one dictionary store, no I/O), and <see cref="KeyUsageFlusher"/> writes what changed at most once a
/// <see cref="FlushInterval"/> per key, in one short statement per key, off the request path. A crash loses at most
/// the last interval's "last used" times, never an event. The value is therefore precise to about a minute.
/// </summary>
public sealed class KeyUsage(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time)
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTime> _seen = new(StringComparer.Ordinal);

    /// <summary>Notes that the key with this id authenticated a request now (the hot path: memory only).</summary>
    public void Seen(string keyId) => _seen[keyId] = Timestamps.ToMicroseconds(time.GetUtcNow());

    /// <summary>Writes the noted times; a key noted again meanwhile stays for the next flush.</summary>
    public async Task<int> FlushAsync(CancellationToken ct = default)
    {
        if (_seen.IsEmpty) return 0;
        var written = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        foreach (var entry in _seen.ToArray())
        {
            var (id, at) = (entry.Key, entry.Value);
            written += await db.ApiKeys.Where(k => k.Id == id && (k.LastUsedAt == null || k.LastUsedAt < at))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, at), ct);
            _seen.TryRemove(entry); // only if not seen again since the snapshot
        }
        return written;
    }
}

/// <summary>Flushes <see cref="KeyUsage"/> once a minute, and once more when the host stops.</summary>
public sealed class KeyUsageFlusher(KeyUsage usage, TimeProvider time, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(KeyUsage.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushQuietlyAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushQuietlyAsync(cancellationToken);
    }

    private async Task FlushQuietlyAsync(CancellationToken ct)
    {
        try { await usage.FlushAsync(ct); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // "Last used" is informational: a busy or full store must not stop the host; the times stay for next time.
            logger.LogWarning(ex, "Could not record when API keys were last used");
        }
    }
}
