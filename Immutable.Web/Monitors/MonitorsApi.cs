using System.Text.Json.Nodes;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Monitors;

/// <summary>Documentation shape of a monitor definition (bodies are parsed by <see cref="MonitorCodec"/>).</summary>
public sealed record MonitorInput(string Name, bool? Enabled, Dictionary<string, string>? Scope, Dictionary<string, object>? Conditions, string? Metric,
    int? TimeframeMinutes, IReadOnlyList<Dictionary<string, object>> Thresholds, string? Notify, IReadOnlyList<string>? Channels);

/// <summary>/api/v1/monitors: CRUD with validation; every change is an event in the workspace's chain.</summary>
public static class MonitorsApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static RouteGroupBuilder MapMonitorsApi(this RouteGroupBuilder api)
    {
        var monitors = api.MapGroup("/monitors").WithTags("Monitors");
        monitors.MapGet("/", ListAsync).WithName("ListMonitors").ProducesProblemEnvelope(401, 429);
        monitors.MapPost("/", CreateAsync).WithName("CreateMonitor").Accepts<MonitorInput>("application/json").ProducesProblemEnvelope(400, 401, 415, 422, 429);
        monitors.MapPost("/test", MonitorDryRun.TestAsync).WithName("TestMonitor")
            .WithSummary("Evaluate a monitor (saved or not) against stored query events of a past period; stores and notifies nothing")
            .Accepts<MonitorDryRunInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        monitors.MapGet("/{id}", GetAsync).WithName("GetMonitor").ProducesProblemEnvelope(401, 404, 429);
        monitors.MapPut("/{id}", UpdateAsync).WithName("UpdateMonitor").Accepts<MonitorInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        monitors.MapDelete("/{id}", DeleteAsync).WithName("DeleteMonitor").ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    public static async Task<Ok<ListEnvelope<JsonObject>>> ListAsync(HttpContext http, MonitorService monitors, CancellationToken ct)
    {
        var list = await monitors.ListAsync(WorkspacePrincipal.From(http.User), ct);
        return TypedResults.Ok(new ListEnvelope<JsonObject>(list, new Pagination(false, null, list.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<JsonObject>>, JsonHttpResult<ApiError>>> GetAsync(string id, HttpContext http, MonitorService monitors, CancellationToken ct)
    {
        var result = await monitors.GetAsync(WorkspacePrincipal.From(http.User), id, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<JsonObject>(result.Value!));
    }

    public static async Task<Results<Created<DataEnvelope<JsonObject>>, JsonHttpResult<ApiError>>> CreateAsync(HttpContext http, MonitorService monitors, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await monitors.CreateAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp()
            : TypedResults.Created($"/api/v1/monitors/{result.Value!["id"]!.GetValue<string>()}", new DataEnvelope<JsonObject>(result.Value));
    }

    public static async Task<Results<Ok<DataEnvelope<JsonObject>>, JsonHttpResult<ApiError>>> UpdateAsync(string id, HttpContext http, MonitorService monitors, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await monitors.UpdateAsync(WorkspacePrincipal.From(http.User), id, body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<JsonObject>(result.Value!));
    }

    /// <summary>Deletes the monitor; its observations stay (they are findings, with the monitor's name).</summary>
    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(string id, HttpContext http, MonitorService monitors, CancellationToken ct) =>
        (await monitors.DeleteAsync(WorkspacePrincipal.From(http.User), id, ct)).Problem is { } p ? p.ToHttp() : TypedResults.NoContent();
}
