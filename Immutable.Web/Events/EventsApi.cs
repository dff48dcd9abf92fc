using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Events;

/// <summary>GET /api/v1/events and /events/{id}: every read is scoped to the caller's workspace.</summary>
public static class EventsApi
{
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
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var violations = new List<Violation>();
        var query = EventQuery.FromRequest(http.Request.Query, violations);
        if (query is null) return ApiResults.Invalid(violations);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var filtered = query.Filter(db, http.User.WorkspaceId());
        var rows = await query.Page(filtered).ToListAsync(ct);
        var total = await filtered.CountAsync(ct);

        var (page, pagination) = Paging.Trim(rows, query.Limit, total, e => new CursorKey(e.Sequence, e.Id));
        return TypedResults.Ok(new ListEnvelope<EventJson>(page.Select(EventJson.From).ToList(), pagination));
    }

    public static async Task<Results<Ok<DataEnvelope<EventJson>>, NotFound<ApiError>>> GetAsync(
        string id, HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        // Ids are matched in their canonical lowercase form; anything else cannot exist.
        if (!Guid.TryParse(id, out var guid)) return ApiResults.NotFound("Event");
        var key = guid.ToString("D");
        var workspaceId = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == key && e.WorkspaceId == workspaceId, ct);
        return row is null ? ApiResults.NotFound("Event") : TypedResults.Ok(new DataEnvelope<EventJson>(EventJson.From(row)));
    }
}
