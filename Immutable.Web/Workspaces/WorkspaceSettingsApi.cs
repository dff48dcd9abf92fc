using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Workspaces;

/// <summary>/api/v1/settings: the workspace's IP allow-list, event schema and viewer settings.</summary>
public static class WorkspaceSettingsApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static IHostApplicationBuilder AddWorkspaceSettings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WorkspaceSettingsStore>();
        builder.Services.AddSingleton<DomainEvents.IDomainEventSubscriber>(sp => sp.GetRequiredService<WorkspaceSettingsStore>());
        builder.Services.AddSingleton<WorkspaceSettingsService>();
        return builder;
    }

    public static RouteGroupBuilder MapWorkspaceSettingsApi(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").WithTags("Settings");
        settings.MapGet("/", GetAsync).WithName("GetWorkspaceSettings")
            .WithSummary("The workspace's IP allow-list, event schema and viewer settings").ProducesProblemEnvelope(401, 403, 429);
        settings.MapPut("/ip-allowlist", PutIpAllowlistAsync).WithName("UpdateIpAllowlist")
            .WithSummary("Replace the IP allow-list (addresses and CIDRs; [] = allow all)")
            .Accepts<IpAllowlistInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        settings.MapPut("/event-schema", PutEventSchemaAsync).WithName("UpdateEventSchema")
            .WithSummary("Replace the event schema (mode strict|permissive, action patterns; [] = accept all)")
            .Accepts<EventSchemaInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        settings.MapPut("/viewer", PutViewerAsync).WithName("UpdateViewerSettings")
            .WithSummary("Replace the origins allowed to frame the embeddable viewer ([] = none)")
            .Accepts<ViewerSettingsInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        settings.MapPut("/incidents", PutIncidentsAsync).WithName("UpdateIncidentSettings")
            .WithSummary("How findings are grouped into incidents: group_by actor|session|ip_address, window_minutes 1-10080 (default actor, 60)")
            .Accepts<IncidentSettingsInput>("application/json").ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        settings.MapPost("/viewer/rotate-secret", RotateViewerSecretAsync).WithName("RotateViewerSecret")
            .WithSummary("New viewer-token signing key: every viewer token issued so far stops working").ProducesProblemEnvelope(401, 403, 429);
        return api;
    }

    public static async Task<Ok<DataEnvelope<WorkspaceSettingsJson>>> GetAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct) =>
        TypedResults.Ok(new DataEnvelope<WorkspaceSettingsJson>(await settings.GetAsync(WorkspacePrincipal.From(http.User), ct)));

    public static async Task<Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>>> PutIpAllowlistAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await settings.UpdateIpAllowlistAsync(WorkspacePrincipal.From(http.User), body, ct));
    }

    public static async Task<Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>>> PutEventSchemaAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await settings.UpdateEventSchemaAsync(WorkspacePrincipal.From(http.User), body, ct));
    }

    public static async Task<Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>>> PutViewerAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await settings.UpdateViewerAsync(WorkspacePrincipal.From(http.User), body, ct));
    }

    public static async Task<Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>>> PutIncidentsAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        return Ok(await settings.UpdateIncidentsAsync(WorkspacePrincipal.From(http.User), body, ct));
    }

    public static async Task<Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>>> RotateViewerSecretAsync(HttpContext http, WorkspaceSettingsService settings, CancellationToken ct) =>
        Ok(await settings.RotateViewerSecretAsync(WorkspacePrincipal.From(http.User), ct));

    private static Results<Ok<DataEnvelope<WorkspaceSettingsJson>>, JsonHttpResult<ApiError>> Ok(Result<WorkspaceSettingsJson> result) =>
        result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<WorkspaceSettingsJson>(result.Value!));
}
