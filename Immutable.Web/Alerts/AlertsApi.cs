using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Detection;
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
            a.Id, a.RuleId, a.RuleName, WireName.Of(a.RuleType), WireName.Of(a.Severity), WireName.Of(a.Status), a.Reason, a.EventId, RawJson.From(a.Event), new RawJson(a.Context),
            a.NotifiedAt is { } n ? Timestamps.ToIso(n) : null, Timestamps.ToIso(a.TriggeredAt), a.HitCount, Timestamps.ToIso(a.LastSeenAt),
            a.ActorId, flat?.ActorName, flat?.IpCountry, a.GroupKey, new RawJson(a.RelatedEventIds),
            a.AcknowledgedAt is { } t ? Timestamps.ToIso(t) : null, a.AcknowledgedBy, a.AcknowledgementNote);
    }
}

public sealed record AcknowledgeInput(string? Note);

public static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAsync).WithName("ListAlerts")
            .WithSummary("Alerts, newest first. Filters: rule_type, rule_id, status, severity, actor_id, from, to (triggered_at).")
            .ProducesProblemEnvelope(401, 422, 429);
        alerts.MapGet("/{id}", GetAsync).WithName("GetAlert").ProducesProblemEnvelope(401, 404, 429);
        alerts.MapPost("/{id}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeAlert")
            .Accepts<AcknowledgeInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 409, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<ListEnvelope<AlertJson>>, UnprocessableEntity<ApiError>>> ListAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var q = http.Request.Query;
        var violations = new List<Violation>();
        RuleType? ruleType = null;
        if (Text(q, "rule_type") is { } typeText)
        {
            if (WireName.TryParse<RuleType>(typeText, out var type)) ruleType = type;
            else violations.Add(new Violation("rule_type", "is not a rule type"));
        }
        var filters = FindingListQuery.Read(q, violations);
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == ws);
        if (ruleType is { } rt) query = query.Where(a => a.RuleType == rt);
        if (Text(q, "rule_id") is { } ruleId) query = query.Where(a => a.RuleId == ruleId);
        if (filters.Status is { } st) query = query.Where(a => a.Status == st);
        if (filters.Severities is { } severities) query = query.Where(a => severities.Contains(a.Severity));
        if (Text(q, "actor_id") is { } actor) query = query.Where(a => a.ActorId == actor);
        if (filters.From is { } f) query = query.Where(a => a.TriggeredAt >= f);
        if (filters.To is { } t) query = query.Where(a => a.TriggeredAt <= t);

        var (alerts, pagination) = await Paging.NewestFirstAsync(query, filters.Cursor, filters.Limit, ct);
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
    public static async Task<Results<Ok<DataEnvelope<AlertJson>>, JsonHttpResult<ApiError>>> AcknowledgeAsync(
        string id, HttpContext http, TriageService triage, CancellationToken ct)
    {
        var (note, invalid) = await RequestValues.AcknowledgementNoteAsync(http.Request, ct);
        if (invalid is not null) return invalid;
        var result = await triage.AcknowledgeAlertAsync(WorkspacePrincipal.From(http.User), id, note, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<AlertJson>(result.Value!));
    }

    private static string? Text(IQueryCollection q, string name) => RequestValues.Text(q, name);
}
