using Immutable.Domain;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Detection;

public sealed record RuleJson(
    string Id, string Name, string RuleType, bool Enabled, string Severity, JsonObject Conditions,
    IReadOnlyList<string> Channels, int CooldownMinutes, string CreatedAt, string UpdatedAt)
{
    public static RuleJson From(AlertRuleRecord r) => new(
        r.Id, r.Name, WireName.Of(r.RuleType), r.Enabled, WireName.Of(r.Severity), (JsonObject)JsonNode.Parse(r.Conditions)!,
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

    public static async Task<Ok<ListEnvelope<RuleJson>>> ListAsync(HttpContext http, AlertRuleService rules, CancellationToken ct)
    {
        var list = await rules.ListAsync(WorkspacePrincipal.From(http.User), ct);
        return TypedResults.Ok(new ListEnvelope<RuleJson>(list, new Pagination(false, null, list.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<RuleJson>>, JsonHttpResult<ApiError>>> GetAsync(string id, HttpContext http, AlertRuleService rules, CancellationToken ct)
    {
        var result = await rules.GetAsync(WorkspacePrincipal.From(http.User), id, ct);
        return result.Problem is { } p ? p.ToHttp() : Ok(result.Value!);
    }

    public static async Task<Results<Created<DataEnvelope<RuleJson>>, JsonHttpResult<ApiError>>> CreateAsync(HttpContext http, AlertRuleService rules, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await rules.CreateAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Created($"/api/v1/alert-rules/{result.Value!.Id}", new DataEnvelope<RuleJson>(result.Value));
    }

    public static async Task<Results<Ok<DataEnvelope<RuleJson>>, JsonHttpResult<ApiError>>> UpdateAsync(string id, HttpContext http, AlertRuleService rules, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await rules.UpdateAsync(WorkspacePrincipal.From(http.User), id, body, ct);
        return result.Problem is { } p ? p.ToHttp() : Ok(result.Value!);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(string id, HttpContext http, AlertRuleService rules, CancellationToken ct) =>
        (await rules.DeleteAsync(WorkspacePrincipal.From(http.User), id, ct)).Problem is { } p ? p.ToHttp() : TypedResults.NoContent();

    private static Ok<DataEnvelope<RuleJson>> Ok(RuleJson rule) => TypedResults.Ok(new DataEnvelope<RuleJson>(rule));
}
