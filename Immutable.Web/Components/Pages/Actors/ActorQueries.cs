using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Components.Pages.Actors;

public sealed record ActorSession(string? SessionId, IReadOnlyList<EventRecord> Events);

public sealed record ActorTimeline(
    string ActorId, string? ActorName, IReadOnlyList<ActorSession> Sessions, bool HasOlder,
    IReadOnlyDictionary<string, List<AlertRecord>> AlertsByEvent, IReadOnlyList<(string Country, int Events)> Countries,
    int[,] Heatmap, int HeatmapEvents);

/// <summary>One actor's story, read through the (workspace, actor, sequence|occurred_at) indexes.</summary>
public sealed class ActorQueries(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time)
{
    public const int PageSize = 200;
    private const int HeatmapDays = 90;

    /// <summary>Actor ids starting with, then containing, <paramref name="text"/> (the small actors table, not the events).</summary>
    public async Task<IReadOnlyList<string>> SearchAsync(string workspaceId, string text, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        text = text.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await Immutable.Web.Search.SearchService.ActorsByIdPrefix(db, workspaceId, text).Select(a => a.ActorId).ToListAsync(ct);
        ids.AddRange(await Immutable.Web.Search.SearchService.ActorsContaining(db, workspaceId, text).Select(a => a.ActorId).Where(a => !ids.Contains(a)).Take(20 - ids.Count).ToListAsync(ct));
        return ids;
    }

    public async Task<ActorTimeline?> LoadAsync(string workspaceId, string actorId, int pages = 1, Immutable.Web.Components.Shared.TimeRange? range = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var take = PageSize * pages;
        var inRange = db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.ActorId == actorId);
        if (range is not null)
        {
            var (from, to) = range.Resolve(time.GetUtcNow());
            if (range.Field == Immutable.Web.Components.Shared.TimeField.Ingested)
            {
                if (from is { } f) inRange = inRange.Where(e => e.CreatedAt >= f);
                if (to is { } t) inRange = inRange.Where(e => e.CreatedAt <= t);
            }
            else
            {
                if (from is { } f) inRange = inRange.Where(e => e.OccurredAt >= f);
                if (to is { } t) inRange = inRange.Where(e => e.OccurredAt <= t);
            }
        }
        var events = await inRange
            .OrderByDescending(e => e.Sequence).Take(take + 1).ToListAsync(ct);
        if (events.Count == 0) return null;
        var hasOlder = events.Count > take;
        if (hasOlder) events.RemoveAt(events.Count - 1);

        // Sessions: consecutive events (newest first) that share a session id.
        var sessions = new List<ActorSession>();
        foreach (var e in events)
        {
            if (sessions.Count > 0 && sessions[^1].SessionId == e.SessionId) ((List<EventRecord>)sessions[^1].Events).Add(e);
            else sessions.Add(new ActorSession(e.SessionId, new List<EventRecord> { e }));
        }

        var ids = events.Select(e => e.Id).ToList();
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == workspaceId && a.EventId != null && ids.Contains(a.EventId)).ToListAsync(ct);
        var alertsByEvent = alerts.GroupBy(a => a.EventId!).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var countries = (await db.Events.Where(e => e.WorkspaceId == workspaceId && e.ActorId == actorId && e.IpCountry != null)
            .GroupBy(e => e.IpCountry!).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
            .OrderByDescending(c => c.Count).Select(c => (c.Key, c.Count)).ToList();

        var since = Timestamps.ToMicroseconds(time.GetUtcNow()).AddDays(-HeatmapDays);
        var times = await db.Events.Where(e => e.WorkspaceId == workspaceId && e.ActorId == actorId && e.OccurredAt >= since)
            .OrderByDescending(e => e.OccurredAt).Select(e => e.OccurredAt).Take(100_000).ToListAsync(ct);
        var heatmap = new int[7, 24];
        foreach (var t in times) heatmap[(int)t.DayOfWeek, t.Hour]++;

        return new ActorTimeline(actorId, events.Select(e => e.ActorName).FirstOrDefault(n => n is not null), sessions, hasOlder, alertsByEvent, countries, heatmap, times.Count);
    }
}
