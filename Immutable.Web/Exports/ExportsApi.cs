using System.Text.Json.Nodes;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Hosting;
using Immutable.Web.Integrity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Exports;

/// <summary>
/// POST /api/v1/exports, GET /api/v1/exports/{id}, GET /api/v1/exports/{id}/download: events to a CSV or NDJSON
/// file, written in the background, downloadable with the API key or a signed link until it expires.
/// </summary>
public static class ExportsApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IHostApplicationBuilder AddExports(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Signed download links use Data Protection, set up once with its key ring in the store (AddStorage).
        builder.Services.TryAddSingleton<IExportProofSource, SignedStatementProofs>();
        builder.Services.AddSingleton<ExportFiles>();
        builder.Services.AddSingleton<ExportQueue>();
        builder.Services.AddSingleton<ExportDownloadLinks>();
        builder.Services.AddSingleton<ExportService>();
        builder.Services.AddSingleton<ExportRunner>();
        builder.Services.AddHostedService<ExportWorker>();
        return builder;
    }

    public static RouteGroupBuilder MapExportsApi(this RouteGroupBuilder api)
    {
        var exports = api.MapGroup("/exports").WithTags("Exports");
        exports.MapPost("/", CreateAsync)
            .WithName("CreateExport")
            .WithSummary("Export the events matching the filters of GET /events to a CSV (default) or NDJSON file, in the background")
            .WithDescription("The body is optional (absent, empty or {}: every event). At most Exports:MaxRunningPerWorkspace (5) exports of a workspace wait or run at once; more answer 429.")
            .Accepts<ExportRequestDoc>("application/json")
            .ProducesProblemEnvelope(400, 401, 413, 415, 422, 429);
        exports.MapGet("/{id}", GetAsync)
            .WithName("GetExport")
            .WithSummary("An export's status, progress and, once completed, its signed download_url")
            .ProducesProblemEnvelope(401, 404, 429);
        return api;
    }

    /// <summary>
    /// The download is outside the API-key group: the signed <c>download_url</c> works without a key (a browser, a
    /// colleague); with a key and no token, the key's workspace must own the export.
    /// </summary>
    public static WebApplication MapExportDownload(this WebApplication app)
    {
        app.MapGet("/api/v1/exports/{id}/download", DownloadAsync)
            .WithTags("Exports")
            .WithName("DownloadExport")
            .WithSummary("Stream a completed export's file (signed link or API key)")
            .WithDescription("409 before the export is completed, 410 after expires_at (the file is deleted then).")
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.PerWorkspace)
            .Produces(200, contentType: "text/csv")
            .ProducesProblemEnvelope(401, 404, 409, 410, 429);
        return app;
    }

    public static async Task<Results<Accepted<ExportCreatedJson>, JsonHttpResult<ApiError>>> CreateAsync(
        HttpContext http, ExportService exports, IOptions<PublicUrlOptions> publicUrl, CancellationToken ct)
    {
        // The JavaScript client sends no body when it has no filters, the Python client sends {}: both mean "everything".
        var request = http.Request;
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        using var input = hasBody ? JsonInput.FromRequest(request, MaxBodyBytes) : JsonInput.Of(new JsonObject());
        var result = await exports.CreateAsync(WorkspacePrincipal.From(http.User), input, ct);
        if (result.Problem is { } p)
        {
            if (p.Status == StatusCodes.Status429TooManyRequests) http.Response.Headers.RetryAfter = "10";
            return p.ToHttp();
        }
        var json = Absolute(result.Value!, http, publicUrl.Value);
        return TypedResults.Accepted($"/api/v1/exports/{json.Id}", new ExportCreatedJson(json.Id, json.Status, json));
    }

    public static async Task<Results<Ok<DataEnvelope<ExportJson>>, JsonHttpResult<ApiError>>> GetAsync(
        string id, HttpContext http, ExportService exports, IOptions<PublicUrlOptions> publicUrl, CancellationToken ct)
    {
        var result = await exports.GetAsync(WorkspacePrincipal.From(http.User), id, ct);
        return result.Problem is { } p ? p.ToHttp() : TypedResults.Ok(new DataEnvelope<ExportJson>(Absolute(result.Value!, http, publicUrl.Value)));
    }

    public static async Task<Results<FileStreamHttpResult, JsonHttpResult<ApiError>>> DownloadAsync(
        string id, HttpContext http, ExportService exports, CancellationToken ct)
    {
        var token = http.Request.Query["token"].ToString();
        var result = await exports.DownloadAsync(id, token, http.User.WorkspaceIdOrNull(), ct);
        if (result.Problem is { } p)
        {
            if (p.Status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer";
            return p.ToHttp();
        }
        var file = result.Value!;
        FileStream stream;
        try
        {
            stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
        }
        catch (FileNotFoundException)
        {
            return ApiResults.Status(StatusCodes.Status410Gone, new ApiError("gone", "This export's file no longer exists; create a new export."));
        }
        // A signed link is a capability: keep it out of caches and referrers.
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.File(stream, file.ContentType, file.FileName, enableRangeProcessing: true);
    }

    /// <summary>The download link as an absolute URL: PublicUrl when configured, else the address the caller used.</summary>
    private static ExportJson Absolute(ExportJson json, HttpContext http, PublicUrlOptions publicUrl)
    {
        if (json.DownloadUrl is null) return json;
        var origin = publicUrl.Configured is { } configured ? configured.TrimEnd('/') : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        return json with { DownloadUrl = origin + json.DownloadUrl };
    }
}

/// <summary>The body of POST /api/v1/exports, for the OpenAPI document (every member optional).</summary>
public sealed record ExportRequestDoc(
    string? From, string? To, string? ActorId, string? Action, string? Resource, string? ResourceId, string? TenantId,
    string? SessionId, string? TargetType, string? TargetId, string? Search, string? Format);
