using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Viewer;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Events;

/// <summary>
/// GET /api/v1/events and /events/{id}: every read is scoped to the caller's workspace, and a viewer token's reads
/// also to its tenant and actor. These two routes (and only these) accept viewer tokens (<see cref="ViewerAuth.ReadPolicy"/>).
/// </summary>
public static class EventsApi
{
    public static IHostApplicationBuilder AddEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventReader>();
        return builder;
    }

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        var events = api.MapGroup("/events").WithTags("Events");
        events.MapGet("/", ListAsync)
            .WithName("ListEvents")
            .WithSummary("List events, newest first (order=asc for chronological), with filters and cursor pagination")
            .ProducesProblemEnvelope(401, 422, 429);
        events.MapGet("/{id}", GetAsync)
            .WithName("GetEvent")
            .WithSummary("One event by id")
            .ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    public static async Task<Results<Ok<ListEnvelope<EventJson>>, UnprocessableEntity<ApiError>>> ListAsync(
        HttpContext http, EventReader reader, CancellationToken ct)
    {
        var violations = new List<Violation>();
        var query = EventQuery.FromRequest(http.Request.Query, violations);
        if (query is null) return ApiResults.Invalid(violations);
        if (http.User.Scope() is { } scope)
        {
            // A viewer token's tenant and actor are forced: a query naming others matches nothing.
            if ((scope.TenantId is not null && query.TenantId is not null && query.TenantId != scope.TenantId)
                || (scope.ActorId is not null && query.ActorId is not null && query.ActorId != scope.ActorId))
                return TypedResults.Ok(new ListEnvelope<EventJson>([], new Pagination(false, null, 0)));
            query = query with { TenantId = scope.TenantId ?? query.TenantId, ActorId = scope.ActorId ?? query.ActorId };
        }
        var (page, pagination) = await reader.ListAsync(http.User.WorkspaceId(), query, ct);
        return TypedResults.Ok(new ListEnvelope<EventJson>(page.Select(EventJson.From).ToList(), pagination));
    }

    public static async Task<Results<Ok<DataEnvelope<EventJson>>, NotFound<ApiError>>> GetAsync(
        string id, HttpContext http, EventReader reader, CancellationToken ct)
    {
        var row = await reader.FindAsync(http.User.WorkspaceId(), id, ct);
        if (row is not null && http.User.Scope() is { } scope
            && ((scope.TenantId is not null && row.TenantId != scope.TenantId) || (scope.ActorId is not null && row.ActorId != scope.ActorId)))
            row = null; // outside the viewer token's scope: as if it did not exist
        return row is null ? ApiResults.NotFound("Event") : TypedResults.Ok(new DataEnvelope<EventJson>(EventJson.From(row)));
    }
}
