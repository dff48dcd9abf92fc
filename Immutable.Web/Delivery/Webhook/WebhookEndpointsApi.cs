using System.Text.Json;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

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
    private const int MaxBodyBytes = 16 * 1024;

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

    public static async Task<Ok<ListEnvelope<WebhookEndpointJson>>> ListAsync(HttpContext http, WebhookEndpointService endpoints, CancellationToken ct)
    {
        var list = await endpoints.ListAsync(WorkspacePrincipal.From(http.User), ct);
        return TypedResults.Ok(new ListEnvelope<WebhookEndpointJson>(list, new Pagination(false, null, list.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<WebhookEndpointJson>>, JsonHttpResult<ApiError>>> GetAsync(string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct) =>
        Ok(await endpoints.GetAsync(WorkspacePrincipal.From(http.User), id, ct));

    public static async Task<Results<Created<DataEnvelope<WebhookEndpointJson>>, JsonHttpResult<ApiError>>> CreateAsync(HttpContext http, WebhookEndpointService endpoints, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await endpoints.CreateAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp()
            : TypedResults.Created($"/api/v1/webhook-endpoints/{result.Value!.Id}", new DataEnvelope<WebhookEndpointJson>(result.Value));
    }

    public static async Task<Results<Ok<DataEnvelope<WebhookEndpointJson>>, JsonHttpResult<ApiError>>> UpdateAsync(string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await endpoints.UpdateAsync(WorkspacePrincipal.From(http.User), id, body, ct));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct) =>
        (await endpoints.DeleteAsync(WorkspacePrincipal.From(http.User), id, ct)).Problem is { } p ? p.ToHttp() : TypedResults.NoContent();

    public static async Task<Results<Ok<ListEnvelope<DeliveryJson>>, JsonHttpResult<ApiError>>> DeliveriesAsync(
        string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct)
    {
        var violations = new List<Violation>();
        var (cursor, limit) = Paging.Read(http.Request.Query, violations);
        if (violations.Count > 0) return Problem.Invalid(violations).ToHttp();
        var result = await endpoints.DeliveriesAsync(WorkspacePrincipal.From(http.User), id, cursor, limit, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(result.Value!);
    }

    public static async Task<Results<Accepted<DataEnvelope<DeliveryJson>>, JsonHttpResult<ApiError>>> TestAsync(string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct) =>
        Accepted(await endpoints.TestAsync(WorkspacePrincipal.From(http.User), id, ct));

    /// <summary>Queues a delivery again now, whatever its state; its attempt log keeps the earlier attempts.</summary>
    public static async Task<Results<Accepted<DataEnvelope<DeliveryJson>>, JsonHttpResult<ApiError>>> RedeliverAsync(string id, HttpContext http, WebhookEndpointService endpoints, CancellationToken ct) =>
        Accepted(await endpoints.RedeliverAsync(WorkspacePrincipal.From(http.User), id, ct));

    private static Results<Ok<DataEnvelope<WebhookEndpointJson>>, JsonHttpResult<ApiError>> Ok(Result<WebhookEndpointJson> result) =>
        result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<WebhookEndpointJson>(result.Value!));

    private static Results<Accepted<DataEnvelope<DeliveryJson>>, JsonHttpResult<ApiError>> Accepted(Result<DeliveryJson> result) =>
        result.Problem is { } p ? p.ToHttp() : TypedResults.Accepted((string?)null, new DataEnvelope<DeliveryJson>(result.Value!));
}
