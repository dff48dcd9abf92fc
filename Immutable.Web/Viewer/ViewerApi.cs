using System.Text.Json;
using Immutable.Web.Api;
using Immutable.Web.Auth;
using Immutable.Web.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Viewer;

/// <summary>The response of POST /api/v1/viewer-token: <c>viewer_token</c> repeats <c>token</c> (client libraries read either).</summary>
public sealed record ViewerTokenJson(string Token, string ViewerToken, string ExpiresAt);

/// <summary>Request body (documentation; parsed by <see cref="ViewerApi.IssueAsync"/>). Every field is optional.</summary>
public sealed record ViewerTokenInput(string? TenantId, string? ActorId, int? Ttl);

/// <summary>POST /api/v1/viewer-token (API keys) and the embeddable viewer page, /viewer?token=…</summary>
public static class ViewerApi
{
    private const int MaxBodyBytes = 4 * 1024;

    public static RouteGroupBuilder MapViewerTokenApi(this RouteGroupBuilder api)
    {
        api.MapPost("/viewer-token", IssueAsync).WithTags("Viewer").WithName("CreateViewerToken")
            .WithSummary("A signed, read-only token for the embeddable viewer and GET /events, scoped to a tenant and/or actor")
            .Accepts<ViewerTokenInput>("application/json")
            .ProducesProblemEnvelope(400, 401, 403, 415, 422, 429);
        return api;
    }

    public static async Task<Results<Ok<ViewerTokenJson>, JsonHttpResult<ApiError>>> IssueAsync(HttpContext http, ViewerTokens tokens, CancellationToken ct)
    {
        string? tenant = null, actor = null;
        var ttl = ViewerTokens.DefaultTtlSeconds;
        // The JavaScript client sends no body when it has no options; an empty body means "defaults".
        var hasBody = http.Request.ContentLength > 0 || (http.Request.ContentLength is null && http.Request.Headers.TransferEncoding.Count > 0);
        if (hasBody)
        {
            using var input = JsonInput.FromRequest(http.Request, MaxBodyBytes);
            var (root, problem) = await input.ReadAsync(ct);
            if (problem is not null) return problem.ToHttp();
            if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object").ToHttp();
            var violations = new List<Violation>();
            tenant = OptionalId(root, "tenant_id", violations);
            actor = OptionalId(root, "actor_id", violations);
            if (root.TryGetProperty("ttl", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out ttl) || ttl is < ViewerTokens.MinTtlSeconds or > ViewerTokens.MaxTtlSeconds)
                    violations.Add(new Violation("ttl", $"must be an integer number of seconds from {ViewerTokens.MinTtlSeconds} to {ViewerTokens.MaxTtlSeconds}"));
            }
            if (violations.Count > 0) return Problem.Invalid(violations).ToHttp();
        }
        var issued = await tokens.IssueAsync(http.User.WorkspaceId(), tenant, actor, ttl, ct);
        return TypedResults.Ok(new ViewerTokenJson(issued.Token, issued.Token, ViewerTokens.Iso(issued.ExpiresAt)));
    }

    private static string? OptionalId(JsonElement root, string field, List<Violation> violations)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length is 0 or > Ingest.EventInputParser.MaxIdLength)
        {
            violations.Add(new Violation(field, $"must be a non-empty string of at most {Ingest.EventInputParser.MaxIdLength} characters"));
            return null;
        }
        return value.GetString();
    }

    public static WebApplication MapViewerPage(this WebApplication app)
    {
        app.MapGet("/viewer", PageAsync).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// The viewer's HTML. The token is checked here too, so the page is only framed by the origins its workspace allows
    /// (CSP frame-ancestors; none by default) and a bad link says so instead of showing an empty feed. The page is static:
    /// viewer.js reads the token from the URL and calls GET /api/v1/events with it; no data is ever put into the HTML.
    /// </summary>
    public static async Task<IResult> PageAsync(HttpContext http, ViewerTokens tokens, WorkspaceSettingsStore settings, CancellationToken ct)
    {
        var token = http.Request.Query["token"].ToString();
        var theme = http.Request.Query["theme"].ToString() == "dark" ? "dark" : "light";
        var (status, scope) = await tokens.ValidateAsync(token, ct);
        IReadOnlyList<string> ancestors = [];
        if (scope is not null) ancestors = (await settings.GetAsync(scope.WorkspaceId, ct)).FrameAncestors;
        SecurityHeaders.UseViewerPolicy(http, ancestors);
        var body = status switch
        {
            ViewerTokenStatus.Valid => Page(theme, ViewerMarkup),
            ViewerTokenStatus.Expired => Page(theme, "<p class=\"notice\" data-testid=\"viewer-error\">This activity link has expired. Reload the page that showed it to get a new one.</p>"),
            ViewerTokenStatus.Invalid => Page(theme, "<p class=\"notice\" data-testid=\"viewer-error\">This activity link is not valid.</p>"),
            _ => throw new InvalidOperationException("unknown token status"),
        };
        return Results.Content(body, "text/html; charset=utf-8", statusCode: status == ViewerTokenStatus.Valid ? 200 : 401);
    }

    private static string Page(string theme, string main) => $$"""
        <!doctype html>
        <html lang="en" data-theme="{{theme}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>Activity</title>
        <link rel="stylesheet" href="/viewer/viewer.css">
        <script src="/viewer/viewer.js" defer></script>
        </head>
        <body>
        <main>{{main}}</main>
        </body>
        </html>
        """;

    private const string ViewerMarkup = """
        <form id="filters" class="filters" autocomplete="off">
          <label>Action <input id="action" name="action" placeholder="document.* or auth.login" maxlength="256"></label>
          <label>From <input id="from" name="from" type="date"></label>
          <label>To <input id="to" name="to" type="date"></label>
          <button type="submit">Apply</button>
        </form>
        <p id="status" class="status" role="status" aria-live="polite"></p>
        <table id="feed" data-testid="viewer-feed">
          <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Where</th></tr></thead>
          <tbody></tbody>
        </table>
        <nav class="pager">
          <button id="newer" type="button" disabled>Newer</button>
          <span id="total"></span>
          <button id="older" type="button" disabled>Older</button>
        </nav>
        """;
}
