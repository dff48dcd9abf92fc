using Immutable.Domain.Rules;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Components.Pages.Triage;

/// <summary>An alert's detail page: the alert, its triggering event, related events, and the alerts it correlates.</summary>
public sealed record AlertView(AlertRecord Alert, EventRecord? Event, IReadOnlyList<EventRecord> Related, IReadOnlyList<AlertRecord> Contributing);

/// <summary>An observation's detail page: the observation and the first events behind it.</summary>
public sealed record ObservationView(ObservationRecord Observation, IReadOnlyList<EventRecord> Events);

/// <summary>
/// The triage grid's server paging: one page and the total from the database, newest first, so the page costs the
/// same with 100 or 100 000 findings stored (indexes: workspace + status + row id).
/// </summary>
public sealed class TriageQueries(IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time)
{
    public async Task<(IReadOnlyList<TriageRow> Rows, int Total)> PageAsync(string workspaceId, TriageFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        // The filter comes from a URL: an unknown rule type matches nothing, like any other unknown value.
        var status = filter.Status is { } text ? WireName.Parse<AlertStatus>(text) : (AlertStatus?)null;
        var severities = filter.Severities.Select(WireName.Parse<Severity>).ToList();
        RuleType? ruleType = null;
        if (filter.RuleType is { } typeText)
        {
            if (!WireName.TryParse<RuleType>(typeText, out var type)) return ([], 0);
            ruleType = type;
        }
        var (from, to) = filter.Range.Resolve(time.GetUtcNow());
        var byOccurred = filter.Range.Field == Shared.TimeField.Occurred;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (filter.IsObservations)
        {
            var query = db.Observations.AsNoTracking().Where(o => o.WorkspaceId == workspaceId);
            if (status is { } s) query = query.Where(o => o.Status == s);
            if (severities.Count > 0) query = query.Where(o => severities.Contains(o.Severity));
            if (filter.SourceId is { } monitor) query = query.Where(o => o.MonitorId == monitor);
            if (filter.Actor is { } actor) query = query.Where(o => o.UserId == actor);
            // Event time: the window of the events observed; ingestion time: when the observation was made.
            if (from is { } f) query = byOccurred ? query.Where(o => o.WindowEnd >= f) : query.Where(o => o.CreatedAt >= f);
            if (to is { } t) query = byOccurred ? query.Where(o => o.WindowStart <= t) : query.Where(o => o.CreatedAt <= t);
            var total = await query.CountAsync(ct);
            var rows = await query.OrderByDescending(o => o.RowId).Skip(page * pageSize).Take(pageSize)
                .Select(o => new TriageRow("observation", o.Id, WireName.Of(o.Severity), WireName.Of(o.Status), o.MonitorName, null, o.UserId, o.Message, o.CreatedAt, o.RelatedEventCount, o.AcknowledgedBy))
                .ToListAsync(ct);
            return (rows, total);
        }
        else
        {
            var query = db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == workspaceId);
            if (status is { } s) query = query.Where(a => a.Status == s);
            if (severities.Count > 0) query = query.Where(a => severities.Contains(a.Severity));
            if (ruleType is { } type) query = query.Where(a => a.RuleType == type);
            if (filter.SourceId is { } rule) query = query.Where(a => a.RuleId == rule);
            if (filter.Actor is { } actor) query = query.Where(a => a.ActorId == actor);
            // Event time: the alert's first event (workspace, status, first_event_at index); ingestion time: when it was raised.
            if (from is { } f) query = byOccurred ? query.Where(a => a.FirstEventAt >= f) : query.Where(a => a.TriggeredAt >= f);
            if (to is { } t) query = byOccurred ? query.Where(a => a.FirstEventAt <= t) : query.Where(a => a.TriggeredAt <= t);
            var total = await query.CountAsync(ct);
            var rows = await query.OrderByDescending(a => a.RowId).Skip(page * pageSize).Take(pageSize)
                .Select(a => new TriageRow("alert", a.Id, WireName.Of(a.Severity), WireName.Of(a.Status), a.RuleName, WireName.Of(a.RuleType), a.ActorId, a.Reason, a.TriggeredAt, a.HitCount, a.AcknowledgedBy))
                .ToListAsync(ct);
            return (rows, total);
        }
    }

    /// <summary>Rules and monitors by id and name, for the source filter.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> SourcesAsync(string workspaceId, bool observations, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return observations
            ? (await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == workspaceId).OrderBy(m => m.Name).Select(m => new { m.Id, m.Name }).ToListAsync(ct)).Select(m => (m.Id, m.Name)).ToList()
            : (await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == workspaceId).OrderBy(r => r.Name).Select(r => new { r.Id, r.Name }).ToListAsync(ct)).Select(r => (r.Id, r.Name)).ToList();
    }

    /// <summary>The alert with what its page shows beside it (50 related events at most), or null when not in this workspace.</summary>
    public async Task<AlertView?> AlertAsync(string workspaceId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var alert = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && a.WorkspaceId == workspaceId, ct);
        if (alert is null) return null;
        var triggering = alert.EventId is { } eventId
            ? await db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == eventId && e.WorkspaceId == workspaceId, ct)
            : null;
        var relatedIds = ReadIds(alert.RelatedEventIds).Where(i => i != alert.EventId).Take(50).ToList();
        var related = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && relatedIds.Contains(e.Id)).OrderBy(e => e.Sequence).ToListAsync(ct);
        // Correlation alerts name the alerts they combine in their context.
        var alertIds = ReadContextAlertIds(alert.Context);
        var contributing = alertIds.Count == 0 ? []
            : await db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == workspaceId && alertIds.Contains(a.Id)).ToListAsync(ct);
        return new AlertView(alert, triggering, related, contributing);
    }

    /// <summary>The observation with its first 100 events in time order, or null when not in this workspace.</summary>
    public async Task<ObservationView?> ObservationAsync(string workspaceId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var observation = await db.Observations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.WorkspaceId == workspaceId, ct);
        if (observation is null) return null;
        var ids = await db.ObservationEvents.Where(l => l.ObservationRowId == observation.RowId).OrderBy(l => l.OccurredAt).Select(l => l.EventId).Take(100).ToListAsync(ct);
        var events = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && ids.Contains(e.Id)).OrderBy(e => e.Sequence).ToListAsync(ct);
        return new ObservationView(observation, events);
    }

    private static List<string> ReadIds(string json)
    {
        try { return JsonSerializer.Deserialize<List<string>>(json) ?? []; }
        catch (JsonException) { return []; }
    }

    private static List<string> ReadContextAlertIds(string json)
    {
        try
        {
            var node = JsonNode.Parse(json);
            return (node?["alerts"] as JsonArray ?? [])
                .Select(n => n?["id"]?.GetValue<string>()).OfType<string>().ToList();
        }
        catch (JsonException) { return []; }
    }
}
