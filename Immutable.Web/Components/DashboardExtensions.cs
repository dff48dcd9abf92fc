using Immutable.Web.Components.Pages.Triage;
using Immutable.Web.Components.Shared;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.DataProtection;
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

        // Sign-in cookies and antiforgery tokens must survive a restart: keep the keys beside the database.
        builder.Services.AddDataProtection()
            .SetApplicationName("Immutable")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(StorageExtensions.ResolveDataDirectory(builder.Configuration), "keys")));
        return builder;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
