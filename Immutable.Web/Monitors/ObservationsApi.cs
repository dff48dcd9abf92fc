using Immutable.Domain;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Events;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Monitors;

public sealed record ObservationJson(
    string Id, string MonitorId, string MonitorName, string Metric, string UserId, long ProfileId, string Severity,
    double MetricValue, double Threshold, string WindowStart, string WindowEnd, string Message, string Status,
    string CreatedAt, bool NotificationRequired, string? NotifiedAt, int RelatedEventCount, string Link,
    string? AcknowledgedAt, string? AcknowledgedBy, string? AcknowledgementNote)
{
    public static ObservationJson From(ObservationRecord o, string publicUrl) => new(
        o.Id, o.MonitorId, o.MonitorName, o.Metric, o.UserId, o.ProfileId, WireName.Of(o.Severity), o.MetricValue, o.Threshold,
        Timestamps.ToIso(o.WindowStart), Timestamps.ToIso(o.WindowEnd), o.Message, WireName.Of(o.Status), Timestamps.ToIso(o.CreatedAt),
        o.NotificationRequired, o.NotifiedAt is { } n ? Timestamps.ToIso(n) : null, o.RelatedEventCount, LinkFor(publicUrl, o.Id),
        o.AcknowledgedAt is { } a ? Timestamps.ToIso(a) : null, o.AcknowledgedBy, o.AcknowledgementNote);

    public static string LinkFor(string publicUrl, string id) => publicUrl.TrimEnd('/') + "/observations/" + id;
}

public static class ObservationsApi
{
    public static RouteGroupBuilder MapObservationsApi(this RouteGroupBuilder api)
    {
        var observations = api.MapGroup("/observations").WithTags("Observations");
        observations.MapGet("/", ListAsync).WithName("ListObservations")
            .WithSummary("Observations, newest first. Filters: monitor_id, user_id, severity, status, from, to (window end).")
            .ProducesProblemEnvelope(401, 422, 429);
        observations.MapGet("/{id}", GetAsync).WithName("GetObservation")
            .WithSummary("One observation with its related events, paged with events_cursor / events_limit")
            .ProducesProblemEnvelope(401, 404, 422, 429);
        observations.MapPost("/{id}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeObservation").ProducesProblemEnvelope(400, 401, 404, 409, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<ListEnvelope<ObservationJson>>, UnprocessableEntity<ApiError>>> ListAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, IOptions<PublicUrlOptions> publicUrl, CancellationToken ct)
    {
        var q = http.Request.Query;
        var violations = new List<Violation>();
        string? Text(string name) => RequestValues.Text(q, name);
        var filters = FindingListQuery.Read(q, violations);
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Observations.AsNoTracking().Where(o => o.WorkspaceId == ws);
        if (Text("monitor_id") is { } monitor) query = query.Where(o => o.MonitorId == monitor);
        if (Text("user_id") is { } user) query = query.Where(o => o.UserId == user);
        if (filters.Severities is { } severities) query = query.Where(o => severities.Contains(o.Severity));
        if (filters.Status is { } st) query = query.Where(o => o.Status == st);
        if (filters.From is { } f) query = query.Where(o => o.WindowEnd >= f);
        if (filters.To is { } t) query = query.Where(o => o.WindowEnd <= t);
        var (observations, pagination) = await Paging.NewestFirstAsync(query, filters.Cursor, filters.Limit, ct);
        var url = publicUrl.Value.Base;
        return TypedResults.Ok(new ListEnvelope<ObservationJson>(observations.Select(o => ObservationJson.From(o, url)).ToList(), pagination));
    }

    public static async Task<Results<Ok<DataEnvelope<JsonObject>>, NotFound<ApiError>, UnprocessableEntity<ApiError>>> GetAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, IOptions<PublicUrlOptions> publicUrl,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var violations = new List<Violation>();
        // This cursor's key is the occurred_at ticks of the last related event on the page.
        if (!CursorKey.TryDecode(http.Request.Query["events_cursor"], out var cursor, DateTime.MaxValue.Ticks)) violations.Add(new Violation("events_cursor", "is not a cursor this API returned"));
        var limit = 100;
        if (http.Request.Query["events_limit"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            violations.Add(new Violation("events_limit", "must be an integer from 1 to 1000"));
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Observations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Observation");

        // Related events in time order, paged by (occurred_at, event id).
        var links = db.ObservationEvents.AsNoTracking().Where(l => l.ObservationRowId == row.RowId);
        if (cursor is { } c)
        {
            var at = new DateTime(c.S, DateTimeKind.Utc);
#pragma warning disable CA1309 // EF translates string.Compare to SQL comparison (ordinal in SQLite)
            links = links.Where(l => l.OccurredAt > at || (l.OccurredAt == at && string.Compare(l.EventId, c.Id) > 0));
#pragma warning restore CA1309
        }
        var page = await links.OrderBy(l => l.OccurredAt).ThenBy(l => l.EventId).Take(limit + 1).ToListAsync(ct);
        var hasMore = page.Count > limit;
        if (hasMore) page.RemoveAt(page.Count - 1);
        var ids = page.Select(l => l.EventId).ToList();
        var events = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == ws && ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
        var next = hasMore ? new CursorKey(page[^1].OccurredAt.Ticks, page[^1].EventId).Encode() : null;
        var related = new ListEnvelope<EventJson>(ids.Where(events.ContainsKey).Select(i => EventJson.From(events[i])).ToList(), new Pagination(hasMore, next, row.RelatedEventCount));

        var options2 = json.Value.SerializerOptions;
        var data = JsonSerializer.SerializeToNode(ObservationJson.From(row, publicUrl.Value.Base), options2)!.AsObject();
        data["related_events"] = JsonSerializer.SerializeToNode(related, options2);
        return TypedResults.Ok(new DataEnvelope<JsonObject>(data));
    }

    public static async Task<Results<Ok<DataEnvelope<ObservationJson>>, JsonHttpResult<ApiError>>> AcknowledgeAsync(
        string id, HttpContext http, Alerts.TriageService triage, CancellationToken ct)
    {
        var (note, invalid) = await RequestValues.AcknowledgementNoteAsync(http.Request, ct);
        if (invalid is not null) return invalid;
        var result = await triage.AcknowledgeObservationAsync(WorkspacePrincipal.From(http.User), id, note, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<ObservationJson>(result.Value!));
    }
}
