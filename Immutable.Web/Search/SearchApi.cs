using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Search;

/// <summary>GET /api/v1/search?q=: the dashboard's global search over the API (grouped results; see docs/api.md).</summary>
public static class SearchApi
{
    public static IHostApplicationBuilder AddSearch(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SearchService>();
        return builder;
    }

    public static RouteGroupBuilder MapSearchApi(this RouteGroupBuilder api)
    {
        api.MapGroup("/search").WithTags("Search")
            .MapGet("/", SearchAsync)
            .WithName("Search")
            .WithSummary("Actors by id or name (prefix, then contains), IP addresses and session ids by prefix, alerts by id prefix; at most 5 of each")
            .ProducesProblemEnvelope(401, 422, 429);
        return api;
    }

    public sealed record SearchJson(
        IReadOnlyList<SearchHit> Actors, IReadOnlyList<SearchHit> IpAddresses, IReadOnlyList<SearchHit> Sessions, IReadOnlyList<SearchHit> Alerts);

    public static async Task<Results<Ok<DataEnvelope<SearchJson>>, JsonHttpResult<ApiError>>> SearchAsync(
        string? q, HttpContext http, SearchService search, CancellationToken ct)
    {
        var result = await search.SearchAsync(WorkspacePrincipal.From(http.User), q, ct);
        if (result.Problem is { } problem) return problem.ToHttp();
        var r = result.Value!;
        return TypedResults.Ok(new DataEnvelope<SearchJson>(new SearchJson(r.Actors, r.IpAddresses, r.Sessions, r.Alerts)));
    }
}
