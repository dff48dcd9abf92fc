using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.DomainEvents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Streams;

/// <summary>/api/v1/log-streams: destinations that receive every ingested event.</summary>
public static class LogStreamsApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IHostApplicationBuilder AddLogStreams(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LogStreamOptions>().BindConfiguration(LogStreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LogStreamService>();
        builder.Services.AddSingleton<LogStreamWorker>();
        builder.Services.AddDomainEventSubscriber<LogStreamWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LogStreamWorker>());
        return builder;
    }

    public static RouteGroupBuilder MapLogStreamsApi(this RouteGroupBuilder api)
    {
        var streams = api.MapGroup("/log-streams").WithTags("Log streams");
        streams.MapGet("/", ListAsync).WithName("ListLogStreams").ProducesProblemEnvelope(401, 429);
        streams.MapPost("/", CreateAsync).WithName("CreateLogStream").WithSummary("Create a webhook log stream; the signing secret is returned only here")
            .Accepts<LogStreamInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        streams.MapGet("/{id}", GetAsync).WithName("GetLogStream").ProducesProblemEnvelope(401, 404, 429);
        streams.MapPut("/{id}", UpdateAsync).WithName("UpdateLogStream").WithSummary("Change the URL or enabled flag; enabled=true resumes a stream in error")
            .Accepts<LogStreamInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 404, 415, 422, 429);
        streams.MapDelete("/{id}", DeleteAsync).WithName("DeleteLogStream").ProducesProblemEnvelope(401, 403, 404, 429);
        streams.MapGet("/{id}/deliveries", DeliveriesAsync).WithName("ListLogStreamDeliveries").ProducesProblemEnvelope(401, 404, 422, 429);
        return api;
    }

    public static async Task<Ok<ListEnvelope<LogStreamJson>>> ListAsync(HttpContext http, LogStreamService streams, CancellationToken ct)
    {
        var list = await streams.ListAsync(WorkspacePrincipal.From(http.User), ct);
        return TypedResults.Ok(new ListEnvelope<LogStreamJson>(list, new Pagination(false, null, list.Count)));
    }

    public static async Task<Results<Ok<DataEnvelope<LogStreamJson>>, JsonHttpResult<ApiError>>> GetAsync(string id, HttpContext http, LogStreamService streams, CancellationToken ct) =>
        Ok(await streams.GetAsync(WorkspacePrincipal.From(http.User), id, ct));

    public static async Task<Results<Created<DataEnvelope<LogStreamJson>>, JsonHttpResult<ApiError>>> CreateAsync(HttpContext http, LogStreamService streams, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await streams.CreateAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp()
            : TypedResults.Created($"/api/v1/log-streams/{result.Value!.Id}", new DataEnvelope<LogStreamJson>(result.Value));
    }

    public static async Task<Results<Ok<DataEnvelope<LogStreamJson>>, JsonHttpResult<ApiError>>> UpdateAsync(string id, HttpContext http, LogStreamService streams, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await streams.UpdateAsync(WorkspacePrincipal.From(http.User), id, body, ct));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(string id, HttpContext http, LogStreamService streams, CancellationToken ct) =>
        (await streams.DeleteAsync(WorkspacePrincipal.From(http.User), id, ct)).Problem is { } p ? p.ToHttp() : TypedResults.NoContent();

    /// <summary>The stream's deliveries (the outbox rows and their attempts), newest first.</summary>
    public static async Task<Results<Ok<ListEnvelope<DeliveryJson>>, JsonHttpResult<ApiError>>> DeliveriesAsync(
        string id, HttpContext http, LogStreamService streams, WebhookEndpointService endpoints, CancellationToken ct)
    {
        var who = WorkspacePrincipal.From(http.User);
        if ((await streams.GetAsync(who, id, ct)).Problem is { } missing) return missing.ToHttp();
        var violations = new List<Violation>();
        var (cursor, limit) = Paging.Read(http.Request.Query, violations);
        if (violations.Count > 0) return Problem.Invalid(violations).ToHttp();
        var result = await endpoints.DeliveriesAsync(who, id, cursor, limit, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(result.Value!);
    }

    private static Results<Ok<DataEnvelope<LogStreamJson>>, JsonHttpResult<ApiError>> Ok(Result<LogStreamJson> result) =>
        result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<LogStreamJson>(result.Value!));
}
