using System.Text.Json;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Domain.Monitors;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Monitors;

/// <summary>Documentation shape of a monitor test request (parsed by <see cref="MonitorDryRun.RunAsync"/>).</summary>
public sealed record MonitorDryRunInput(MonitorInput? Monitor, string? MonitorId, string? From, string? To);

/// <summary>An observation the monitor would have raised.</summary>
public sealed record MonitorDryRunObservation(
    string UserId, string Severity, double MetricValue, double Threshold, string WindowStart, string WindowEnd, string Message, int EventCount);

/// <summary>The highest user's metric in the window ending at <see cref="WindowEnd"/> (every 10 minutes of the period).</summary>
public sealed record MonitorSeriesPoint(string WindowEnd, double Value, string? UserId);

public sealed record MonitorDryRunResult(
    string From, string To, int EventsScanned, int Users, int TotalObservations, bool Truncated,
    IReadOnlyList<MonitorDryRunObservation> Observations, IReadOnlyList<MonitorSeriesPoint> Series, MonitorSeriesPoint? Current);

/// <summary>
/// POST /api/v1/monitors/test: replays the stored query events of a period (by event time, default the last 7 days)
/// through a monitor, saved (<c>monitor_id</c>) or not (<c>monitor</c>), and returns the observations it would have
/// raised there (episodes as live: one per run of breaching windows and severity step), plus the highest user's
/// metric in every 10-minute window (what the monitor page draws against its thresholds). Nothing is stored, nothing
/// is notified, no live state is touched.
/// </summary>
public static class MonitorDryRun
{
    public const int MaxObservationsReturned = 500;
    /// <summary>Events read at most; a busier period is cut there (and says so: <c>truncated</c>).</summary>
    public const int MaxEventsScanned = 1_000_000;
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(31);

    public static async Task<Results<Ok<DataEnvelope<MonitorDryRunResult>>, JsonHttpResult<ApiError>>> TestAsync(HttpContext http, MonitorService monitors, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, 64 * 1024);
        var result = await monitors.DryRunAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<MonitorDryRunResult>(result.Value!));
    }

    /// <summary>Validates the request (<see cref="MonitorDryRunInput"/>) and replays; <paramref name="now"/> bounds the period.</summary>
    public static async Task<Result<MonitorDryRunResult>> RunAsync(ImmutableDbContext db, IReadOnlyList<string> queryActions, string ws, JsonElement root, DateTime now, CancellationToken ct)
    {
        if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object with \"monitor\" or \"monitor_id\"");

        var violations = new List<Violation>();
        var (from, to) = RequestValues.ReplayPeriod(root, now, MaxPeriod, violations);

        ActivityMonitor? monitor = null;
        if (root.TryGetProperty("monitor_id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            if (idElement.ValueKind != JsonValueKind.String) violations.Add(new Violation("monitor_id", "must be a string"));
            else
            {
                var id = idElement.GetString();
                var row = await db.Monitors.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
                if (row is null) return Problem.NotFound("Monitor");
                monitor = row.ToDomain();
            }
        }
        else if (root.TryGetProperty("monitor", out var monitorElement))
        {
            var monitorViolations = new List<Violation>();
            var draft = MonitorCodec.Parse(monitorElement, monitorViolations);
            violations.AddRange(monitorViolations.Select(v => v with { Field = v.Field == "body" ? "monitor" : "monitor." + v.Field }));
            if (draft is not null) monitor = draft with { Id = "mon_dry_run", WorkspaceId = ws };
        }
        else violations.Add(new Violation("monitor", "send a monitor definition as \"monitor\", or a saved monitor's id as \"monitor_id\""));
        if (violations.Count > 0 || monitor is null) return Problem.Invalid(violations.Count > 0 ? violations : [new Violation("monitor", "is invalid")]);

        // Windows end on 10-minute boundaries: the first after `from`, the last at or after `to` (the current window).
        var step = MonitorWindows.Step;
        var firstEnd = MonitorWindows.FirstEndAfter(from);
        var lastEnd = to.Ticks % step.Ticks == 0 ? to : MonitorWindows.FirstEndAfter(to);
        var timeframe = TimeSpan.FromMinutes(monitor.TimeframeMinutes);
        var (activity, scanned, truncated) = await ReadAsync(db, ws, monitor, queryActions, firstEnd - timeframe, lastEnd, ct);

        var ends = new List<DateTime>();
        for (var end = firstEnd; end <= lastEnd; end += step) ends.Add(end);
        var highest = new (double Value, string? User)[ends.Count];
        var breaches = new List<(string User, WindowBreach Breach, int Events)>();
        foreach (var (user, events) in activity)
        {
            var timeline = new UserTimeline(events);
            for (var i = 0; i < ends.Count; i++)
            {
                var value = timeline.Metric(ends[i] - timeframe, ends[i]);
                if (value > highest[i].Value) highest[i] = (value, user);
            }
            foreach (var b in MonitorWindows.Breaches(monitor, timeline, ends, []))
                breaches.Add((user, b, timeline.EventIds(b.WindowStart, b.WindowEnd).Count));
        }

        var observations = breaches.OrderBy(b => b.Breach.WindowEnd).ThenBy(b => b.User, StringComparer.Ordinal)
            .Select(b => new MonitorDryRunObservation(b.User, WireName.Of(b.Breach.Threshold.Severity), b.Breach.MetricValue, b.Breach.Threshold.Value,
                Timestamps.ToIso(b.Breach.WindowStart), Timestamps.ToIso(b.Breach.WindowEnd), MonitorWindows.Message(monitor, b.Breach.Threshold), b.Events))
            .ToList();
        var series = ends.Select((end, i) => new MonitorSeriesPoint(Timestamps.ToIso(end), highest[i].Value, highest[i].User)).ToList();
        return new MonitorDryRunResult(Timestamps.ToIso(from), Timestamps.ToIso(to), scanned, activity.Count, observations.Count,
            truncated || observations.Count > MaxObservationsReturned, observations.Take(MaxObservationsReturned).ToList(), series, series.Count > 0 ? series[^1] : null);
    }

    /// <summary>Each user's matching events in [from, to) by event time, read once in time order (up to <see cref="MaxEventsScanned"/>).</summary>
    private static async Task<(Dictionary<string, List<UserActivity>> Activity, int Scanned, bool Truncated)> ReadAsync(
        ImmutableDbContext db, string ws, ActivityMonitor monitor, IReadOnlyList<string> queryActions, DateTime from, DateTime to, CancellationToken ct)
    {
        var activity = new Dictionary<string, List<UserActivity>>(StringComparer.Ordinal);
        var scanned = 0;
        var rows = db.Events.AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.OccurredAt >= from && e.OccurredAt < to)
            .Select(e => new { e.Id, e.ActorId, e.Action, e.Metadata, e.OccurredAt });
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            if (++scanned > MaxEventsScanned) return (activity, scanned - 1, true);
            if (!ActionPattern.MatchesAny(queryActions, row.Action)) continue;
            var context = QueryContext.FromMetadataJson(row.Metadata);
            if (!monitor.Matches(context)) continue;
            var contribution = monitor.Contribution(context);
            if (contribution == 0) continue;
            if (!activity.TryGetValue(row.ActorId, out var list)) activity[row.ActorId] = list = [];
            list.Add(new UserActivity(row.OccurredAt, contribution, Guid.TryParse(row.Id, out var id) ? id : Guid.Empty));
        }
        return (activity, scanned, false);
    }
}
