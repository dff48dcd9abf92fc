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

namespace Immutable.Web.Delivery.Webhook;

public sealed record WebhookEndpointJson(
    string Id, string Url, bool Enabled, IReadOnlyList<string> RecordTypes, string CreatedAt, string UpdatedAt,
    string? PausedAt, string? PausedReason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static WebhookEndpointJson From(WebhookEndpointRecord e, bool withSecret = false) => new(
        e.Id, e.Url, e.Enabled, JsonSerializer.Deserialize<List<string>>(e.RecordTypes)!, Timestamps.ToIso(e.CreatedAt), Timestamps.ToIso(e.UpdatedAt),
        e.PausedAt is { } p ? Timestamps.ToIso(p) : null, e.PausedReason, withSecret ? e.Secret : null);
}

public sealed record DeliveryAttemptJson(string AttemptedAt, int? StatusCode, double LatencyMs, string? Error, string? ResponseExcerpt);

public sealed record DeliveryJson(
    string Id, string EndpointId, string EventType, string? RecordId, string Status, int Attempts, string NextAttemptAt,
    string CreatedAt, string? DeliveredAt, string? LastError, IReadOnlyList<DeliveryAttemptJson> AttemptLog);

public sealed record WebhookEndpointInput(string Url, bool? Enabled, IReadOnlyList<string>? RecordTypes);

/// <summary>/api/v1/webhook-endpoints and /api/v1/deliveries: where notifications go, and what happened to them.</summary>
public static class WebhookEndpointsApi
{
    private static readonly string[] RecordTypes = [WebhookOutbox.Alerts, WebhookOutbox.Observations];

    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var endpoints = api.MapGroup("/webhook-endpoints").WithTags("Webhooks");
        endpoints.MapGet("/", ListAsync).WithName("ListWebhookEndpoints").ProducesProblemEnvelope(401, 429);
        endpoints.MapPost("/", CreateAsync).WithName("CreateWebhookEndpoint").WithSummary("Create an endpoint; the signing secret is returned only here")
            .Accepts<WebhookEndpointInput>("application/json").ProducesProblemEnvelope(400, 401, 415, 422, 429);
        endpoints.MapGet("/{id}", GetAsync).WithName("GetWebhookEndpoint").ProducesProblemEnvelope(401, 404, 429);
        endpoints.MapPut("/{id}", UpdateAsync).WithName("UpdateWebhookEndpoint").Accepts<WebhookEndpointInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        endpoints.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhookEndpoint").ProducesProblemEnvelope(401, 404, 429);
        endpoints.MapGet("/{id}/deliveries", DeliveriesAsync).WithName("ListDeliveries").ProducesProblemEnvelope(401, 404, 422, 429);
        endpoints.MapPost("/{id}/test", TestAsync).WithName("TestWebhookEndpoint").WithSummary("Queue a signed ping to the endpoint").ProducesProblemEnvelope(401, 404, 429);
        api.MapPost("/deliveries/{id}/redeliver", RedeliverAsync).WithTags("Webhooks").WithName("RedeliverDelivery").ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    public static async Task<Ok<ListEnvelope<WebhookEndpointJson>>> ListAsync(HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.WebhookEndpoints.AsNoTracking().Where(e => e.WorkspaceId == ws).OrderBy(e => e.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new ListEnvelope<WebhookEndpointJson>(rows.Select(r => WebhookEndpointJson.From(r)).ToList(), new Pagination(false, null, rows.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<WebhookEndpointJson>>, NotFound<ApiError>>> GetAsync(string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.WebhookEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.WorkspaceId == ws, ct);
        return row is null ? ApiResults.NotFound("Webhook endpoint") : TypedResults.Ok(new DataEnvelope<WebhookEndpointJson>(WebhookEndpointJson.From(row)));
    }

    public static async Task<Results<Created<DataEnvelope<WebhookEndpointJson>>, JsonHttpResult<ApiError>>> CreateAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, WebhookUrlGuard guard, AuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var (input, error) = await ReadAsync(http, guard, ct);
        if (error is not null) return error;
        var ws = http.User.WorkspaceId();
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = new WebhookEndpointRecord
        {
            Id = "whe_" + Guid.NewGuid().ToString("D"),
            WorkspaceId = ws,
            Url = input!.Url,
            Secret = WebhookSigner.NewSecret(),
            Enabled = input.Enabled ?? true,
            RecordTypes = JsonSerializer.Serialize(input.RecordTypes ?? RecordTypes),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.WebhookEndpoints.Add(row);
        await db.SaveChangesAsync(ct);
        // The secret is not in the audit record: it is shown once, to the caller.
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "webhook_endpoint.created", "webhook_endpoint", row.Id, row.Url,
            new JsonObject { ["url"] = row.Url, ["record_types"] = JsonNode.Parse(row.RecordTypes) }, () => db.WebhookEndpoints.Remove(row), ct);
        return TypedResults.Created($"/api/v1/webhook-endpoints/{row.Id}", new DataEnvelope<WebhookEndpointJson>(WebhookEndpointJson.From(row, withSecret: true)));
    }

    public static async Task<Results<Ok<DataEnvelope<WebhookEndpointJson>>, NotFound<ApiError>, JsonHttpResult<ApiError>>> UpdateAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, WebhookUrlGuard guard, AuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id && e.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Webhook endpoint");
        var (input, error) = await ReadAsync(http, guard, ct);
        if (error is not null) return error;
        var before = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["record_types"] = JsonNode.Parse(row.RecordTypes) };
        var (oldUrl, oldEnabled, oldTypes, oldPaused, oldReason) = (row.Url, row.Enabled, row.RecordTypes, row.PausedAt, row.PausedReason);
        row.Url = input!.Url;
        row.Enabled = input.Enabled ?? row.Enabled;
        row.RecordTypes = JsonSerializer.Serialize(input.RecordTypes ?? RecordTypes);
        if (input.Enabled == true) (row.PausedAt, row.PausedReason, row.ConsecutiveFailures) = (null, null, 0); // enabling again resumes a paused endpoint
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "webhook_endpoint.updated", "webhook_endpoint", row.Id, row.Url,
            new JsonObject { ["before"] = before, ["after"] = new JsonObject { ["url"] = row.Url, ["enabled"] = row.Enabled, ["record_types"] = JsonNode.Parse(row.RecordTypes) } },
            () => (row.Url, row.Enabled, row.RecordTypes, row.PausedAt, row.PausedReason) = (oldUrl, oldEnabled, oldTypes, oldPaused, oldReason), ct);
        return TypedResults.Ok(new DataEnvelope<WebhookEndpointJson>(WebhookEndpointJson.From(row)));
    }

    public static async Task<Results<NoContent, NotFound<ApiError>>> DeleteAsync(string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id && e.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Webhook endpoint");
        db.WebhookEndpoints.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordOrUndoAsync(db, ws, http.User.AuditActor(), "webhook_endpoint.deleted", "webhook_endpoint", row.Id, row.Url,
            new JsonObject { ["url"] = row.Url }, () => db.WebhookEndpoints.Add(row), ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<ListEnvelope<DeliveryJson>>, NotFound<ApiError>, UnprocessableEntity<ApiError>>> DeliveriesAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var violations = new List<Violation>();
        if (!CursorKey.TryDecode(http.Request.Query["cursor"], out var cursor)) violations.Add(new Violation("cursor", "is not a cursor this API returned"));
        Paging.TryReadLimit(http.Request.Query["limit"], violations, out var limit);
        if (violations.Count > 0) return ApiResults.Invalid(violations);
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.WebhookEndpoints.AnyAsync(e => e.Id == id && e.WorkspaceId == ws, ct)) return ApiResults.NotFound("Webhook endpoint");
        var query = db.Deliveries.AsNoTracking().Where(d => d.EndpointId == id);
        var total = await query.CountAsync(ct);
        if (cursor is { } c) query = query.Where(d => d.RowId < c.S);
        var rows = await query.OrderByDescending(d => d.RowId).Take(limit + 1).ToListAsync(ct);
        var (page, pagination) = Paging.Trim(rows, limit, total, d => new CursorKey(d.RowId, d.Id));
        var rowIds = page.Select(d => d.RowId).ToList();
        var attempts = (await db.DeliveryAttempts.AsNoTracking().Where(a => rowIds.Contains(a.DeliveryRowId)).OrderBy(a => a.RowId).ToListAsync(ct))
            .ToLookup(a => a.DeliveryRowId);
        return TypedResults.Ok(new ListEnvelope<DeliveryJson>(page.Select(d => ToJson(d, attempts[d.RowId])).ToList(), pagination));
    }

    public static async Task<Results<Accepted<DataEnvelope<DeliveryJson>>, NotFound<ApiError>>> TestAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await db.WebhookEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.WorkspaceId == ws, ct);
        if (endpoint is null) return ApiResults.NotFound("Webhook endpoint");
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        var delivery = new DeliveryRecord
        {
            Id = "dlv_" + Guid.NewGuid().ToString("D"), WorkspaceId = ws, EndpointId = id, EventType = "ping", Payload = WebhookOutbox.PingPayload(ws, id, now).ToJsonString(),
            Status = "pending", NextAttemptAt = now, CreatedAt = now,
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        events.Publish(new DeliveriesEnqueued(ws));
        return TypedResults.Accepted((string?)null, new DataEnvelope<DeliveryJson>(ToJson(delivery, [])));
    }

    /// <summary>Queues a delivery again now, whatever its state; its attempt log keeps the earlier attempts.</summary>
    public static async Task<Results<Accepted<DataEnvelope<DeliveryJson>>, NotFound<ApiError>>> RedeliverAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, TimeProvider time, IDomainEvents events, CancellationToken ct)
    {
        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Deliveries.SingleOrDefaultAsync(d => d.Id == id && d.WorkspaceId == ws, ct);
        if (row is null) return ApiResults.NotFound("Delivery");
        row.Status = "pending";
        row.Attempts = 0;
        row.NextAttemptAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        await db.SaveChangesAsync(ct);
        events.Publish(new DeliveriesEnqueued(ws));
        return TypedResults.Accepted((string?)null, new DataEnvelope<DeliveryJson>(ToJson(row, [])));
    }

    private static DeliveryJson ToJson(DeliveryRecord d, IEnumerable<DeliveryAttemptRecord> attempts) => new(
        d.Id, d.EndpointId, d.EventType, d.RecordId, d.Status, d.Attempts, Timestamps.ToIso(d.NextAttemptAt), Timestamps.ToIso(d.CreatedAt),
        d.DeliveredAt is { } t ? Timestamps.ToIso(t) : null, d.LastError,
        attempts.Select(a => new DeliveryAttemptJson(Timestamps.ToIso(a.AttemptedAt), a.StatusCode, a.LatencyMs, a.Error, a.ResponseExcerpt)).ToList());

    private static async Task<(WebhookEndpointInput? Input, JsonHttpResult<ApiError>? Error)> ReadAsync(HttpContext http, WebhookUrlGuard guard, CancellationToken ct)
    {
        using var body = await JsonBody.ReadAsync(http.Request, 16 * 1024, new JsonDocumentOptions { AllowDuplicateProperties = false }, ct);
        if (body.Error is { } error) return (null, error);
        var root = body.Document!.RootElement;
        var violations = new List<Violation>();
        if (root.ValueKind != JsonValueKind.Object) return (null, Invalid([new Violation("body", "must be a JSON object")]));
        string? url = null;
        if (!root.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String) violations.Add(new Violation("url", "is required (an http or https URL)"));
        else if (await guard.CheckAsync(u.GetString()!, ct) is { } refused) violations.Add(new Violation("url", refused));
        else url = u.GetString();
        bool? enabled = null;
        if (root.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) enabled = e.GetBoolean();
            else violations.Add(new Violation("enabled", "must be true or false"));
        }
        List<string>? types = null;
        if (root.TryGetProperty("record_types", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() == 0 || t.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || !RecordTypes.Contains(x.GetString())))
                violations.Add(new Violation("record_types", "must be a non-empty array of \"alerts\" and/or \"observations\""));
            else types = t.EnumerateArray().Select(x => x.GetString()!).Distinct().ToList();
        }
        return violations.Count > 0 ? (null, Invalid(violations)) : (new WebhookEndpointInput(url!, enabled, types), null);
    }

    private static JsonHttpResult<ApiError> Invalid(IReadOnlyList<Violation> violations) =>
        TypedResults.Json(ApiError.Validation(violations), statusCode: StatusCodes.Status422UnprocessableEntity);
}
