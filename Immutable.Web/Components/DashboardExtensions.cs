using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Components.Shared;
using MudBlazor.Services;

namespace Immutable.Web.Components;

public static class DashboardExtensions
{
    /// <summary>The Blazor Server dashboard: components, MudBlazor, and the services its screens read through.</summary>
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<TriageQueries>();
        builder.Services.AddSingleton<Pages.Overview.OverviewQueries>();
        builder.Services.AddSingleton<Pages.Actors.ActorQueries>();
        builder.Services.AddSingleton<Immutable.Web.Storage.EventAggregates>();
        builder.Services.AddScoped<ViewerTime>(); // one per circuit: the viewer's zone
        // Sign-in cookies and antiforgery tokens: Data Protection's key ring is in the store (Storage/DataProtectionKeyRing).
        return builder;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        // A person's browser asking for an unknown dashboard address gets the dashboard's own 404 page (status kept);
        // API clients and everything else keep the JSON envelope of Api/ErrorHandling (registered before, so outside).
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted
                && string.IsNullOrEmpty(context.Response.ContentType) && context.Response.ContentLength is null && IsDashboardPageRequest(context))
                await new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<Pages.NotFoundDocument> { StatusCode = StatusCodes.Status404NotFound }.ExecuteAsync(context);
        });
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    private static readonly string[] NonPagePrefixes = ["/api", "/hubs", "/_framework", "/_content", "/_blazor", "/viewer", "/openapi", "/scalar", "/healthz", "/readyz", "/integrity/bundle", "/.well-known"];

    private static bool IsDashboardPageRequest(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !NonPagePrefixes.Any(p => context.Request.Path.StartsWithSegments(p.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
}
