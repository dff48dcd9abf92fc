using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Detection;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Alerts;

/// <summary>
/// An alert as the API returns it: the contract's fields, plus the top-level flat actor fields and the nested
/// flat event (the "union" shape: the SDK reads one, integrations read alert.event.actor_name / ip_country).
/// </summary>
public sealed record AlertJson(
    string Id, string RuleId, string RuleName, string RuleType, string Severity, string Status, string Reason,
    string? EventId, RawJson? Event, RawJson Context, string? NotifiedAt, string TriggeredAt, int HitCount, string LastSeenAt,
    string ActorId, string? ActorName, string? IpCountry, string GroupKey, RawJson RelatedEventIds,
    string? AcknowledgedAt, string? AcknowledgedBy, string? AcknowledgementNote)
{
    public static AlertJson From(AlertRecord a)
    {
        FlatEvent? flat = a.Event is null ? null : JsonSerializer.Deserialize<FlatEvent>(a.Event, DetectionJson.Options);
        return new AlertJson(
            a.Id, a.RuleId, a.RuleName, a.RuleType, a.Severity, a.Status, a.Reason, a.EventId, RawJson.From(a.Event), new RawJson(a.Context),
            a.NotifiedAt is { } n ? Timestamps.ToIso(n) : null, Timestamps.ToIso(a.TriggeredAt), a.HitCount, Timestamps.ToIso(a.LastSeenAt),
            a.ActorId, flat?.ActorName, flat?.IpCountry, a.GroupKey, new RawJson(a.RelatedEventIds),
            a.AcknowledgedAt is { } t ? Timestamps.ToIso(t) : null, a.AcknowledgedBy, a.AcknowledgementNote);
    }
}

public sealed record AcknowledgeInput(string? Note);

public static class AlertsApi
{
    private static readonly string[] Statuses = ["open", "acknowledged"];
    private static readonly string[] Severities = ["info", "low", "medium", "high", "critical"];

    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAsync).WithName("ListAlerts")
            .WithSummary("Alerts, newest first. Filters: rule_type, rule_id, status, severity, actor_id, from, to (triggered_at).")
            .ProducesProblemEnvelope(401, 422, 429);
        alerts.MapGet("/{id}", GetAsync).WithName("GetAlert").ProducesProblemEnvelope(401, 404, 429);
        alerts.MapPost("/{id}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeAlert")
            .Accepts<AcknowledgeInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<ListEnvelope<AlertJson>>, UnprocessableEntity<ApiError>>> ListAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var q = http.Request.Query;
        var violations = new List<Violation>();
        var ruleType = Text(q, "rule_type");
        if (ruleType is not null && !RuleTypeNames.TryParse(ruleType, out _)) violations.Add(new Violation("rule_type", "is not a rule type"));
        var status = Text(q, "status");
        if (status is not null && !Statuses.Contains(status)) violations.Add(new Violation("status", "must be open or acknowledged"));
        var severities = Text(q, "severity")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (severities is not null && severities.Any(s => !Severities.Contains(s))) violations.Add(new Violation("severity", "must be info, low, medium, high or critical (comma-separated for several)"));
        var from = RequestValues.Time(q["from"], "from", violations);
        var to = RequestValues.Time(q["to"], "to", violations);
        if (!CursorKey.TryDecode(q["cursor"], out var cursor)) violations.Add(new Violation("cursor", "is not a cursor this API returned"));
        Paging.TryReadLimit(q["limit"], violations, out var limit);
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == ws);
        if (ruleType is not null) query = query.Where(a => a.RuleType == ruleType);
        if (Text(q, "rule_id") is { } ruleId) query = query.Where(a => a.RuleId == ruleId);
        if (status is not null) query = query.Where(a => a.Status == status);
        if (severities is not null) query = query.Where(a => severities.Contains(a.Severity));
        if (Text(q, "actor_id") is { } actor) query = query.Where(a => a.ActorId == actor);
        if (from is { } f) query = query.Where(a => a.TriggeredAt >= f);
        if (to is { } t) query = query.Where(a => a.TriggeredAt <= t);

        var total = await query.CountAsync(ct);
        var page = cursor is { } c ? query.Where(a => a.RowId < c.S) : query;
        var rows = await page.OrderByDescending(a => a.RowId).Take(limit + 1).ToListAsync(ct);
        var (alerts, pagination) = Paging.Trim(rows, limit, total, a => new CursorKey(a.RowId, a.Id));
        return TypedResults.Ok(new ListEnvelope<AlertJson>(alerts.Select(AlertJson.From).ToList(), pagination));
    }

    public static async Task<Results<Ok<DataEnvelope<AlertJson>>, NotFound<ApiError>>> GetAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && a.WorkspaceId == ws, ct);
        return row is null ? ApiResults.NotFound("Alert") : TypedResults.Ok(new DataEnvelope<AlertJson>(AlertJson.From(row)));
    }

    /// <summary>Records who and when (and an optional note); acknowledging twice keeps the first acknowledgement.</summary>
    public static async Task<Results<Ok<DataEnvelope<AlertJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> AcknowledgeAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, TimeProvider time,
        IDomainEvents events, CancellationToken ct)
    {
        var (note, invalid) = await RequestValues.AcknowledgementNoteAsync(http.Request, ct);
        if (invalid is not null) return invalid;

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Alerts.SingleOrDefaultAsync(a => a.Id == id && a.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Alert");
        if (await audit.AcknowledgeAsync(db, row, ws, http.User.AuditActor(), note, Timestamps.ToMicroseconds(time.GetUtcNow()),
                "alert.acknowledged", "alert", row.Id, row.RuleName, new JsonObject { ["rule_type"] = row.RuleType, ["severity"] = row.Severity }, ct))
            events.Publish(new AlertChanged(ws, AlertJson.From(row)));
        return TypedResults.Ok(new DataEnvelope<AlertJson>(AlertJson.From(row)));
    }

    private static string? Text(IQueryCollection q, string name) => RequestValues.Text(q, name);
}
