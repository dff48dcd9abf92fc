using Immutable.Web.Api;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Retention;

/// <summary>/api/v1/retention and /api/v1/archives: how long events stay in the store, and where the older ones went.</summary>
public static class RetentionApi
{
    private const int MaxBodyBytes = 4 * 1024;

    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RetentionArchiver>();
        builder.Services.AddSingleton<RetentionService>();
        return builder;
    }

    public static RouteGroupBuilder MapRetentionApi(this RouteGroupBuilder api)
    {
        var retention = api.MapGroup("/retention").WithTags("Retention");
        retention.MapGet("/", GetAsync).WithName("GetRetention")
            .WithSummary("The workspace's retention window, where the stored chain starts (the retention cut) and the last run")
            .ProducesProblemEnvelope(401, 429);
        retention.MapPut("/", UpdateAsync).WithName("UpdateRetention")
            .WithSummary("Set retention_days (1..36500), or null to keep events forever")
            .Accepts<RetentionInputDoc>("application/json")
            .ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        retention.MapPost("/run", RunAsync).WithName("RunRetention")
            .WithSummary("Archive now what the window excludes, instead of waiting for the daily job (runs in the background)")
            .ProducesProblemEnvelope(401, 403, 409, 429);
        api.MapGet("/archives", ArchivesAsync).WithTags("Retention").WithName("ListArchives")
            .WithSummary("The workspace's archives, newest day first (file, counts, first/last sequence and hash, SHA-256)")
            .ProducesProblemEnvelope(401, 429);
        return api;
    }

    public static async Task<Ok<DataEnvelope<RetentionJson>>> GetAsync(HttpContext http, RetentionService retention, CancellationToken ct) =>
        TypedResults.Ok(new DataEnvelope<RetentionJson>(await retention.GetAsync(WorkspacePrincipal.From(http.User), ct)));

    public static async Task<Results<Ok<DataEnvelope<RetentionJson>>, JsonHttpResult<ApiError>>> UpdateAsync(HttpContext http, RetentionService retention, CancellationToken ct)
    {
        using var body = JsonInput.FromRequest(http.Request, MaxBodyBytes);
        var result = await retention.UpdateAsync(WorkspacePrincipal.From(http.User), body, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<RetentionJson>(result.Value!));
    }

    public static async Task<Results<Accepted<DataEnvelope<RetentionJson>>, JsonHttpResult<ApiError>>> RunAsync(
        HttpContext http, RetentionService retention, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var result = await retention.RunNowAsync(WorkspacePrincipal.From(http.User), lifetime.ApplicationStopping, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Accepted("/api/v1/retention", new DataEnvelope<RetentionJson>(result.Value!));
    }

    public static async Task<Ok<ListEnvelope<ArchiveJson>>> ArchivesAsync(HttpContext http, RetentionService retention, CancellationToken ct)
    {
        var list = await retention.ArchivesAsync(WorkspacePrincipal.From(http.User), ct);
        return TypedResults.Ok(new ListEnvelope<ArchiveJson>(list, new Pagination(false, null, list.Count)));
    }
}

/// <summary>The body of PUT /api/v1/retention, for the OpenAPI document.</summary>
public sealed record RetentionInputDoc(int? RetentionDays);
