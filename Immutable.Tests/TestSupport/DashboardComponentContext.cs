using System.Security.Claims;
using Bunit;
using Immutable.Web.Accounts;
using Immutable.Web.Auth;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// bUnit with MudBlazor's services and a signed-in member; everything else (database, gateway, notifier) comes from a
/// real host when one is given, so components are tested against the store they read in production.
/// </summary>
public static class DashboardComponentContext
{
    public static BunitContext Create(IServiceProvider? host = null, string workspaceId = "ws_test", string role = Roles.Owner)
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddScoped<Immutable.Web.Components.Shared.ViewerTime>(); // per circuit in the app, so not from the host's root
        if (host is not null) ctx.Services.AddFallbackServiceProvider(host);
        var auth = ctx.AddAuthorization();
        auth.SetAuthorized("Ana Owner");
        auth.SetClaims(
            new Claim(DashboardUser.UserIdClaim, "usr_test"),
            new Claim(DashboardUser.EmailClaim, "ana@example.com"),
            new Claim(ClaimTypes.Name, "Ana Owner"),
            new Claim(ApiKeyAuthenticationHandler.WorkspaceClaim, workspaceId),
            new Claim(DashboardUser.WorkspaceNameClaim, "acme"),
            new Claim(ClaimTypes.Role, role));
        return ctx;
    }
}
