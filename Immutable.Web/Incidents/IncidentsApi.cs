using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Incidents;

/// <summary>/api/v1/incidents: list (filters, cursor paging like alerts), get with findings and comments, update, comment.</summary>
public static class IncidentsApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IHostApplicationBuilder AddIncidents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IncidentGrouper>();
        builder.Services.AddSingleton<IncidentService>();
        builder.Services.AddSingleton<IncidentReader>();
        return builder;
    }

    public static RouteGroupBuilder MapIncidentsApi(this RouteGroupBuilder api)
    {
        var incidents = api.MapGroup("/incidents").WithTags("Incidents");
        incidents.MapGet("/", ListAsync).WithName("ListIncidents")
            .WithSummary("Incidents, newest first. Filters: status, severity (comma-separated), assignee (an email, or \"none\"), actor_id.")
            .ProducesProblemEnvelope(401, 422, 429);
        incidents.MapGet("/{id}", GetAsync).WithName("GetIncident")
            .WithSummary("One incident with its alerts, observations (oldest first, up to 500 each) and comments").ProducesProblemEnvelope(401, 404, 429);
        incidents.MapPatch("/{id}", UpdateAsync).WithName("UpdateIncident")
            .WithSummary("Change status (open|acknowledged|resolved), resolution (true_positive|benign|false_positive, required to resolve), note, assignee (a member's email or null); acknowledging or resolving acknowledges its open alerts and observations")
            .Accepts<IncidentUpdateInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 409, 415, 422, 429);
        incidents.MapPost("/{id}/comments", CommentAsync).WithName("CommentIncident")
            .WithSummary("Add a comment (text, 1 to 4000 characters) to the incident's timeline")
            .Accepts<IncidentCommentInput>("application/json").ProducesProblemEnvelope(400, 401, 404, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<ListEnvelope<IncidentJson>>, UnprocessableEntity<ApiError>>> ListAsync(
        HttpContext http, IDbContextFactory<ImmutableDbContext> dbFactory, CancellationToken ct)
    {
        var q = http.Request.Query;
        var violations = new List<Violation>();
        IncidentStatus? status = null;
        if (RequestValues.Text(q, "status") is { } statusText)
        {
            if (WireName.TryParse<IncidentStatus>(statusText, out var parsed)) status = parsed;
            else violations.Add(new Violation("status", "must be " + string.Join(", ", WireName.All<IncidentStatus>())));
        }
        var severities = RequestValues.Severities(q, violations);
        var assignee = RequestValues.Text(q, "assignee");
        if (assignee is { Length: > 320 }) violations.Add(new Violation("assignee", "must be an email of at most 320 characters, or none"));
        var (from, to) = RequestValues.TimeRange(q, violations);
        var (cursor, limit) = Paging.Read(q, violations);
        if (violations.Count > 0) return ApiResults.Invalid(violations);

        var ws = http.User.WorkspaceId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Incidents.AsNoTracking().Where(i => i.WorkspaceId == ws);
        if (status is { } st) query = query.Where(i => i.Status == st);
        if (severities is not null) query = query.Where(i => severities.Contains(i.Severity));
        if (assignee == "none") query = query.Where(i => i.Assignee == null);
        else if (assignee is not null)
        {
            var email = assignee.Trim().ToLowerInvariant();
            query = query.Where(i => i.Assignee == email);
        }
        if (RequestValues.Text(q, "actor_id") is { } actor) query = query.Where(i => i.ActorId == actor);
        // The incidents active in [from, to]: their findings' span (first to last activity) overlaps it.
        if (from is { } f) query = query.Where(i => i.LastActivityAt >= f);
        if (to is { } t) query = query.Where(i => i.FirstActivityAt <= t);

        var (incidents, pagination) = await Paging.NewestFirstAsync(query, cursor, limit, ct);
        return TypedResults.Ok(new ListEnvelope<IncidentJson>(incidents.Select(IncidentJson.From).ToList(), pagination));
    }

    public static async Task<Results<Ok<DataEnvelope<IncidentDetailJson>>, JsonHttpResult<ApiError>>> GetAsync(
        string id, HttpContext http, IncidentService incidents, CancellationToken ct)
    {
        var result = await incidents.GetAsync(WorkspacePrincipal.From(http.User), id, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<IncidentDetailJson>(result.Value!));
    }

    public static async Task<Results<Ok<DataEnvelope<IncidentJson>>, JsonHttpResult<ApiError>>> UpdateAsync(
        string id, HttpContext http, IncidentService incidents, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await incidents.UpdateAsync(WorkspacePrincipal.From(http.User), id, body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<IncidentJson>(result.Value!));
    }

    public static async Task<Results<Created<DataEnvelope<IncidentCommentJson>>, JsonHttpResult<ApiError>>> CommentAsync(
        string id, HttpContext http, IncidentService incidents, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await incidents.CommentAsync(WorkspacePrincipal.From(http.User), id, body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Created($"/api/v1/incidents/{Uri.EscapeDataString(id)}", new DataEnvelope<IncidentCommentJson>(result.Value!));
    }
}
