using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Domain.Chain;
using Immutable.Web.Components.Shared;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Components.Pages.Overview;

public sealed record OverviewData(
    IReadOnlyDictionary<string, int> OpenAlerts,
    IReadOnlyDictionary<string, int> OpenObservations,
    IReadOnlyList<int> EventsPerMinute,
    IReadOnlyList<(string Actor, int Events)> TopActors,
    IReadOnlyList<(string Country, int Events)> TopCountries,
    long ChainLength,
    DateTime? LastEventAt,
    IReadOnlyList<(string Url, string Problem)> FailingEndpoints,
    int EndpointCount,
    IReadOnlyList<(string Actor, int Events)> TopAuditActors);

/// <summary>The overview's numbers, each from an index range of the workspace (no full scans).</summary>
public sealed class OverviewQueries(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The action category of the records <see cref="Immutable.Web.Audit.AuditTrail"/> appends.</summary>
    private const string AuditCategory = Immutable.Web.Audit.AuditTrail.ActionCategory;

    /// <summary>Overview's range when the URL names none.</summary>
    public static readonly TimeRange DefaultRange = TimeRange.Last("24h");

    /// <summary>The numbers, the top lists over <paramref name="range"/> (default: the last 24 h by event time).</summary>
    public async Task<OverviewData> LoadAsync(string workspaceId, TimeRange? range = null, CancellationToken ct = default)
    {
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var openAlerts = await db.Alerts.Where(a => a.WorkspaceId == workspaceId && a.Status == AlertStatus.Open)
            .GroupBy(a => a.Severity).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => WireName.Of(g.Key), g => g.Count, ct);
        var openObservations = await db.Observations.Where(o => o.WorkspaceId == workspaceId && o.Status == AlertStatus.Open)
            .GroupBy(o => o.Severity).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => WireName.Of(g.Key), g => g.Count, ct);

        var hourAgo = now.AddMinutes(-60);
        var recent = await db.Events.Where(e => e.WorkspaceId == workspaceId && e.CreatedAt >= hourAgo).Select(e => e.CreatedAt).ToListAsync(ct);
        var perMinute = new int[60];
        foreach (var at in recent) perMinute[Math.Clamp((int)(at - hourAgo).TotalMinutes, 0, 59)]++;

        // By event time unless the viewer asked for ingestion time: a back-dated event counts when it happened.
        var (from, to) = (range ?? DefaultRange).Resolve(time.GetUtcNow());
        var lastDay = db.Events.Where(e => e.WorkspaceId == workspaceId);
        if ((range ?? DefaultRange).Field == TimeField.Ingested)
        {
            if (from is { } f) lastDay = lastDay.Where(e => e.CreatedAt >= f);
            if (to is { } t) lastDay = lastDay.Where(e => e.CreatedAt <= t);
        }
        else
        {
            if (from is { } f) lastDay = lastDay.Where(e => e.OccurredAt >= f);
            if (to is { } t) lastDay = lastDay.Where(e => e.OccurredAt <= t);
        }
        // The chain's own records of dashboard and API changes (user:…, api_key:…; AuditTrail's category) are counted
        // apart, so the people who configure Immutable never crowd out the applications' actors.
        var topActors = (await lastDay.Where(e => e.ActionCategory != AuditCategory).GroupBy(e => e.ActorId).Select(g => new { g.Key, Count = g.Count() }).OrderByDescending(g => g.Count).Take(8).ToListAsync(ct))
            .Select(g => (g.Key, g.Count)).ToList();
        var topAuditActors = (await lastDay.Where(e => e.ActionCategory == AuditCategory).GroupBy(e => e.ActorId).Select(g => new { g.Key, Count = g.Count() }).OrderByDescending(g => g.Count).Take(8).ToListAsync(ct))
            .Select(g => (g.Key, g.Count)).ToList();
        var topCountries = (await lastDay.Where(e => e.IpCountry != null).GroupBy(e => e.IpCountry!).Select(g => new { g.Key, Count = g.Count() }).OrderByDescending(g => g.Count).Take(8).ToListAsync(ct))
            .Select(g => (g.Key, g.Count)).ToList();

        var head = await db.Events.Where(e => e.WorkspaceId == workspaceId).OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.CreatedAt }).FirstOrDefaultAsync(ct);

        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(w => w.WorkspaceId == workspaceId).ToListAsync(ct);
        var failing = endpoints
            .Select(w => (w.Url, Problem: WebhookProblem(w)))
            .Where(w => w.Problem is not null).Select(w => (w.Url, w.Problem!)).ToList();
        return new OverviewData(openAlerts, openObservations, perMinute, topActors, topCountries, head?.Sequence ?? 0, head?.CreatedAt, failing, endpoints.Count, topAuditActors);
    }

    private static string? WebhookProblem(WebhookEndpointRecord w) =>
        w.PausedReason is { } reason ? $"paused: {reason}"
        : !w.Enabled ? "disabled"
        : w.ConsecutiveFailures > 0 ? $"{w.ConsecutiveFailures} failed deliveries in a row"
        : null;
}
