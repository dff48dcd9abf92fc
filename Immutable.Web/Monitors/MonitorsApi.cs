using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Monitors;

/// <summary>Documentation shape of a monitor definition (bodies are parsed by <see cref="MonitorCodec"/>).</summary>
public sealed record MonitorInput(string Name, bool? Enabled, Dictionary<string, string>? Scope, Dictionary<string, object>? Conditions, string? Metric,
    int? TimeframeMinutes, IReadOnlyList<Dictionary<string, object>> Thresholds, string? Notify, IReadOnlyList<string>? Channels);

/// <summary>/api/v1/monitors: CRUD with validation; every change is an event in the workspace's chain.</summary>
public static class MonitorsApi
{
    public static RouteGroupBuilder MapMonitorsApi(this RouteGroupBuilder api)
    {
        var monitors = api.MapGroup("/monitors").WithTags("Monitors");
        monitors.MapGet("/", ListAsync).WithName("ListMonitors").ProducesProblemEnvelope(401, 429);
        monitors.MapPost("/", CreateAsync).WithName("CreateMonitor").Accepts<MonitorInput>("application/json").ProducesProblemEnvelope(400, 401, 415, 422, 429);
        monitors.MapGet("/{id}", GetAsync).WithName("GetMonitor").ProducesProblemEnvelope(401, 404, 429);
        monitors.MapPut("/{id}", UpdateAsync).WithName("UpdateMonitor").Accepts<MonitorInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        monitors.MapDelete("/{id}", DeleteAsync).WithName("DeleteMonitor").ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    /// <summary>The monitor as the API shows it: id, the normalised definition, times.</summary>
    public static JsonObject ToJson(MonitorRecord r)
    {
        var json = new JsonObject { ["id"] = r.Id };
        foreach (var (key, value) in JsonNode.Parse(r.Definition)!.AsObject()) json[key] = value?.DeepClone();
        json["enabled"] = r.Enabled;
        json["created_at"] = Timestamps.ToIso(r.CreatedAt);
        json["updated_at"] = Timestamps.ToIso(r.UpdatedAt);
        return json;
    }

    public static async Task<Ok<ListEnvelope<JsonObject>>> ListAsync(HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Monitors.AsNoTracking().Where(m => m.WorkspaceId == ws).OrderBy(m => m.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new ListEnvelope<JsonObject>(rows.Select(ToJson).ToList(), new Pagination(false, null, rows.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<JsonObject>>, NotFound<ApiError>>> GetAsync(string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
        return row is null ? ApiResults.NotFound("Monitor") : TypedResults.Ok(new DataEnvelope<JsonObject>(ToJson(row)));
    }

    public static async Task<Results<Created<DataEnvelope<JsonObject>>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> CreateAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, MonitorEvaluator evaluator, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var (definition, error) = await ReadAsync(http, ct);
        if (error is not null) return error;
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await evaluator.StartWatchingAsync(db, ws, ct);
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var row = new MonitorRecord
        {
            Id = "mon_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Name = definition!["name"]!.GetValue<string>(),
            Enabled = definition["enabled"]!.GetValue<bool>(),
            Definition = definition.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Monitors.Add(row);
        await db.SaveChangesAsync(ct);
        var json = ToJson(row);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "monitor.created", "monitor", row.Id, row.Name,
            new JsonObject { ["after"] = json.DeepClone() }, () => db.Monitors.Remove(row), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return TypedResults.Created($"/api/v1/monitors/{row.Id}", new DataEnvelope<JsonObject>(json));
    }

    public static async Task<Results<Ok<DataEnvelope<JsonObject>>, NotFound<ApiError>, JsonHttpResult<ApiError>, UnprocessableEntity<ApiError>>> UpdateAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Monitor");
        var (definition, error) = await ReadAsync(http, ct);
        if (error is not null) return error;

        var before = ToJson(row);
        var (oldName, oldEnabled, oldDefinition) = (row.Name, row.Enabled, row.Definition);
        row.Name = definition!["name"]!.GetValue<string>();
        row.Enabled = definition["enabled"]!.GetValue<bool>();
        row.Definition = definition.ToJsonString();
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        var after = ToJson(row);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "monitor.updated", "monitor", row.Id, row.Name,
            new JsonObject { ["before"] = before, ["after"] = after.DeepClone() }, () => (row.Name, row.Enabled, row.Definition) = (oldName, oldEnabled, oldDefinition), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return TypedResults.Ok(new DataEnvelope<JsonObject>(after));
    }

    /// <summary>Deletes the monitor; its observations stay (they are findings, with the monitor's name).</summary>
    public static async Task<Results<NoContent, NotFound<ApiError>>> DeleteAsync(string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit,
        IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Monitors.SingleOrDefaultAsync(m => m.Id == id && m.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Monitor");
        var before = ToJson(row);
        db.Monitors.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "monitor.deleted", "monitor", row.Id, row.Name,
            new JsonObject { ["before"] = before }, () => db.Monitors.Add(row), ct);
        events.Publish(new MonitorChanged(ws, row.Id));
        return TypedResults.NoContent();
    }

    private static async Task<(JsonObject? Definition, JsonHttpResult<ApiError>? Error)> ReadAsync(HttpContext http, CancellationToken ct)
    {
        using var body = await JsonBody.ReadAsync(http.Request, 64 * 1024, new JsonDocumentOptions { AllowDuplicateProperties = false }, ct);
        if (body.Error is { } error) return (null, error);
        var violations = new List<Violation>();
        var monitor = MonitorCodec.Parse(body.Document!.RootElement, violations);
        return monitor is null
            ? (null, TypedResults.Json(ApiError.Validation(violations), statusCode: StatusCodes.Status422UnprocessableEntity))
            : (MonitorCodec.DefinitionJson(monitor), null);
    }
}
