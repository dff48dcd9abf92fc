using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Detection;

public sealed record RuleJson(
    string Id, string Name, string RuleType, bool Enabled, string Severity, JsonObject Conditions,
    IReadOnlyList<string> Channels, int CooldownMinutes, string CreatedAt, string UpdatedAt)
{
    public static RuleJson From(AlertRuleRecord r) => new(
        r.Id, r.Name, r.RuleType, r.Enabled, r.Severity, (JsonObject)JsonNode.Parse(r.Conditions)!,
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.Channels)!, r.CooldownMinutes,
        Timestamps.ToIso(r.CreatedAt), Timestamps.ToIso(r.UpdatedAt));

    public JsonObject ToAuditJson() => (JsonObject)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(this, DetectionJson.Options))!;
}

/// <summary>Documentation shape of a rule definition (bodies are parsed by <see cref="RuleCodec"/>).</summary>
public sealed record RuleInput(string Name, string RuleType, bool? Enabled, string? Severity, Dictionary<string, object>? Conditions, IReadOnlyList<string>? Channels, int? CooldownMinutes);

/// <summary>/api/v1/alert-rules: CRUD with per-type validation; every change is an event in the workspace's chain.</summary>
public static class AlertRulesApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static RouteGroupBuilder MapAlertRulesApi(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/alert-rules").WithTags("Alert rules");
        rules.MapGet("/", ListAsync).WithName("ListAlertRules").ProducesProblemEnvelope(401, 429);
        rules.MapPost("/", CreateAsync).WithName("CreateAlertRule").Accepts<RuleInput>("application/json").ProducesProblemEnvelope(400, 401, 415, 422, 429);
        rules.MapGet("/{id}", GetAsync).WithName("GetAlertRule").ProducesProblemEnvelope(401, 404, 429);
        rules.MapPut("/{id}", UpdateAsync).WithName("UpdateAlertRule").Accepts<RuleInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        rules.MapDelete("/{id}", DeleteAsync).WithName("DeleteAlertRule").ProducesProblemEnvelope(401, 404, 409, 429);
        rules.MapPost("/test", DryRunApi.TestAsync).WithName("TestAlertRule")
            .WithSummary("Evaluate a rule (saved or not) against stored events of a past period; stores and notifies nothing")
            .Accepts<DryRunInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        return api;
    }

    public static async Task<Ok<ListEnvelope<RuleJson>>> ListAsync(HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws).OrderBy(r => r.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new ListEnvelope<RuleJson>(rows.Select(RuleJson.From).ToList(), new Pagination(false, null, rows.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<RuleJson>>, NotFound<ApiError>>> GetAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        return row is null ? ApiResults.NotFound("Alert rule") : TypedResults.Ok(new DataEnvelope<RuleJson>(RuleJson.From(row)));
    }

    public static async Task<Results<Created<DataEnvelope<RuleJson>>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> CreateAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, StreamEvaluator detection, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (draft, error) = await ReadDraftAsync(http, db, ws, selfId: null, ct);
        if (error is not null) return error;
        if (draft is null) return ApiResults.Invalid("body", "is invalid");

        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var row = new AlertRuleRecord
        {
            Id = "rul_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Name = draft.Name,
            RuleType = RuleTypeNames.ToWire(draft.Conditions.Type),
            Severity = RuleCodec.SeverityName(draft.Severity),
            Conditions = "",
            Channels = "",
            CreatedAt = now,
            UpdatedAt = now,
        };
        Apply(row, draft);
        db.AlertRules.Add(row);
        await db.SaveChangesAsync(ct);
        var json = RuleJson.From(row);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "alert_rule.created", "alert_rule", row.Id, row.Name,
            new JsonObject { ["after"] = json.ToAuditJson() }, undo: () => db.AlertRules.Remove(row), ct);
        OnRuleChanged(detection, events, ws, row.Id);
        return TypedResults.Created($"/api/v1/alert-rules/{row.Id}", new DataEnvelope<RuleJson>(json));
    }

    public static async Task<Results<Ok<DataEnvelope<RuleJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> UpdateAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, StreamEvaluator detection, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Alert rule");
        var (draft, error) = await ReadDraftAsync(http, db, ws, selfId: id, ct);
        if (error is not null) return error;
        if (draft is null) return ApiResults.Invalid("body", "is invalid");

        var before = RuleJson.From(row);
        var typeChanged = before.RuleType != RuleTypeNames.ToWire(draft.Conditions.Type);
        Apply(row, draft);
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        if (typeChanged)
        {
            // What a rule remembered about actors belongs to its old definition.
            await db.RuleActorCountries.Where(c => c.RuleId == id).ExecuteDeleteAsync(ct);
            await db.RuleTravelFixes.Where(f => f.RuleId == id).ExecuteDeleteAsync(ct);
        }
        await db.SaveChangesAsync(ct);
        var after = RuleJson.From(row);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "alert_rule.updated", "alert_rule", row.Id, row.Name,
            new JsonObject { ["before"] = before.ToAuditJson(), ["after"] = after.ToAuditJson() }, undo: () => Restore(row, before), ct);
        OnRuleChanged(detection, events, ws, row.Id);
        return TypedResults.Ok(new DataEnvelope<RuleJson>(after));
    }

    public static async Task<Results<NoContent, NotFound<ApiError>, Conflict<ApiError>>> DeleteAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, StreamEvaluator detection, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.SingleOrDefaultAsync(r => r.Id == id && r.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Alert rule");
        var correlations = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws && r.RuleType == "correlation").ToListAsync(ct);
        var referencedBy = correlations.Where(r => ((CorrelationConditions)r.ToDomain().Conditions).RuleIds.Contains(id)).Select(r => r.Id).ToList();
        if (referencedBy.Count > 0)
            return TypedResults.Conflict(new ApiError("rule_in_use", $"The rule is part of correlation rule(s) {string.Join(", ", referencedBy)}; change those first."));

        var before = RuleJson.From(row);
        db.AlertRules.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "alert_rule.deleted", "alert_rule", row.Id, row.Name,
            new JsonObject { ["before"] = before.ToAuditJson() }, undo: () => db.AlertRules.Add(row), ct);
        OnRuleChanged(detection, events, ws, row.Id);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// This instance's rule sets are invalidated right away, so the next event meets the changed rules; the event
    /// reaches the dashboards and other instances (here it invalidates once more, which costs at most one reload).
    /// </summary>
    private static void OnRuleChanged(StreamEvaluator detection, IDomainEvents events, string ws, string ruleId)
    {
        detection.Invalidate(ws);
        events.Publish(new RuleChanged(ws, ruleId));
    }

    private static async Task<(RuleDraft? Draft, JsonHttpResult<ApiError>? Error)> ReadDraftAsync(
        HttpContext http, ImmutableDbContext db, string ws, string? selfId, CancellationToken ct)
    {
        using var body = await JsonBody.ReadAsync(http.Request, MaxBodyBytes, new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false }, ct);
        if (body.Error is { } error) return (null, error);
        var violations = new List<Violation>();
        var draft = RuleCodec.Parse(body.Document!.RootElement, violations);
        if (draft?.Conditions is CorrelationConditions correlation)
            await CheckCorrelationTargetsAsync(db, ws, selfId, correlation, violations, ct);
        return violations.Count > 0
            ? (null, TypedResults.Json(ApiError.Validation(violations), statusCode: StatusCodes.Status422UnprocessableEntity))
            : (draft, null);
    }

    /// <summary>Correlation may only name existing, non-correlation rules of the same workspace (and not itself).</summary>
    public static async Task CheckCorrelationTargetsAsync(ImmutableDbContext db, string ws, string? selfId, CorrelationConditions c, List<Violation> violations, CancellationToken ct)
    {
        var known = await db.AlertRules.AsNoTracking().Where(r => r.WorkspaceId == ws && c.RuleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.RuleType, ct);
        for (var i = 0; i < c.RuleIds.Count; i++)
        {
            var id = c.RuleIds[i];
            if (id == selfId) violations.Add(new Violation($"conditions.rule_ids[{i}]", "a correlation rule cannot name itself"));
            else if (!known.TryGetValue(id, out var type)) violations.Add(new Violation($"conditions.rule_ids[{i}]", $"no rule {id} in this workspace"));
            else if (type == "correlation") violations.Add(new Violation($"conditions.rule_ids[{i}]", "must name a non-correlation rule"));
        }
    }

    private static void Apply(AlertRuleRecord row, RuleDraft draft)
    {
        row.Name = draft.Name;
        row.RuleType = RuleTypeNames.ToWire(draft.Conditions.Type);
        row.Enabled = draft.Enabled;
        row.Severity = RuleCodec.SeverityName(draft.Severity);
        row.Conditions = RuleCodec.ConditionsJson(draft.Conditions).ToJsonString();
        row.Channels = System.Text.Json.JsonSerializer.Serialize(draft.Channels.Select(c => c == Channel.Email ? "email" : "webhook").ToList());
        row.CooldownMinutes = draft.CooldownMinutes;
    }

    private static void Restore(AlertRuleRecord row, RuleJson before)
    {
        row.Name = before.Name;
        row.RuleType = before.RuleType;
        row.Enabled = before.Enabled;
        row.Severity = before.Severity;
        row.Conditions = before.Conditions.ToJsonString();
        row.Channels = System.Text.Json.JsonSerializer.Serialize(before.Channels);
        row.CooldownMinutes = before.CooldownMinutes;
    }
}
