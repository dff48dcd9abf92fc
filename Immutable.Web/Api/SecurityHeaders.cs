using System.Security.Cryptography;

namespace Immutable.Web.Api;

/// <summary>
/// Response headers that make a browser refuse what the app never sends: every response is nosniff with a strict
/// referrer policy and cannot be framed; HTML pages get a Content-Security-Policy whose only inline script is the one
/// Blazor's import map needs, allowed by a per-request nonce (<see cref="Nonce"/>).
/// Invariant: no dashboard page runs a script that is not served by this app from its own origin.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "csp-nonce";
    private const string ViewerPolicyKey = "csp-viewer";

    /// <summary>The nonce of this response's Content-Security-Policy (for the one inline script, the import map).</summary>
    public static string Nonce(this HttpContext context) =>
        context.Items.TryGetValue(NonceKey, out var nonce) && nonce is string s ? s : "";

    /// <summary>The dashboard's policy: Blazor Server needs its own scripts, a WebSocket to the same origin, inline styles (MudBlazor).</summary>
    public static string DashboardPolicy(string nonce) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The API reference (Scalar) configures itself with an inline script it renders itself: inline scripts are allowed
    /// there, but nothing from another origin, and the page holds no secret.
    /// </summary>
    public const string ApiReferencePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>JSON and everything else: nothing to run, nothing to frame.</summary>
    public const string DataPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The embeddable viewer (/viewer): its own scripts and styles only, reads from this origin, and framed only by the
    /// workspace's allowed origins (validated origins, see WorkspaceSettingsService; 'none' when there are none).
    /// </summary>
    public static string ViewerPolicy(IReadOnlyList<string> frameAncestors) =>
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
        "frame-ancestors " + (frameAncestors.Count == 0 ? "'none'" : string.Join(' ', frameAncestors));

    /// <summary>This response is the viewer page: <see cref="ViewerPolicy"/> instead of the dashboard's policy.</summary>
    public static void UseViewerPolicy(HttpContext context, IReadOnlyList<string> frameAncestors) =>
        context.Items[ViewerPolicyKey] = frameAncestors;

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            var isData = path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/hubs")
                || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");
            var nonce = isData ? "" : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)); // hex: nothing to encode in HTML
            if (!isData) context.Items[NonceKey] = nonce;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                if (context.Items.TryGetValue(ViewerPolicyKey, out var viewer) && viewer is IReadOnlyList<string> ancestors)
                {
                    // The token is in the viewer's URL: never send it on as a referrer.
                    headers["Referrer-Policy"] = "no-referrer";
                    headers.ContentSecurityPolicy = ViewerPolicy(ancestors);
                    // frame-ancestors decides; X-Frame-Options (which cannot name origins) only when nobody may frame it.
                    if (ancestors.Count == 0) headers.XFrameOptions = "DENY";
                    return Task.CompletedTask;
                }
                headers.XFrameOptions = "DENY";
                // Static files (scripts, styles) need no policy of their own; HTML and data do.
                var type = context.Response.ContentType ?? "";
                if (type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
                    headers.ContentSecurityPolicy = path.StartsWithSegments("/docs") ? ApiReferencePolicy : DashboardPolicy(nonce);
                else if (isData || type.Contains("json", StringComparison.OrdinalIgnoreCase))
                    headers.ContentSecurityPolicy = DataPolicy;
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
