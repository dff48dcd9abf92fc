using Immutable.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Immutable.Web.Accounts;

public static class AccountsExtensions
{
    public const string CookieScheme = "Dashboard";
    /// <summary>Picks the API key handler for requests that carry a bearer key (or a hub token), the cookie otherwise.</summary>
    private const string SelectorScheme = "ApiKeyOrCookie";
    public const string DashboardPolicy = "Dashboard";
    public const string ConfigurePolicy = "DashboardConfigure";
    public const string OwnerPolicy = "DashboardOwner";

    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section)
            .Validate(o => o.MaxFailedSignIns > 0 && o.LockoutMinutes > 0 && o.SetupLinkMinutes > 0 && o.MinimumPasswordLength >= 8,
                "Accounts: MaxFailedSignIns, LockoutMinutes and SetupLinkMinutes must be positive, MinimumPasswordLength at least 8.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AccountService>();
        builder.Services.AddHostedService<SetupLinkAnnouncer>();

        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = SelectorScheme;
                o.DefaultChallengeScheme = SelectorScheme;
            })
            .AddPolicyScheme(SelectorScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 || context.Request.Path.StartsWithSegments("/hubs") || context.Request.Path.StartsWithSegments("/api")
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "immutable.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/account/signin";
                o.LogoutPath = "/account/signout";
                o.AccessDeniedPath = "/account/denied";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                // A removed member or a changed role takes effect on their next page load, not at cookie expiry.
                o.Events.OnValidatePrincipal = async context =>
                {
                    if (DashboardUser.From(context.Principal!) is not { } user) { context.RejectPrincipal(); return; }
                    var role = await context.HttpContext.RequestServices.GetRequiredService<AccountService>().CurrentRoleAsync(user.WorkspaceId, user.Email, context.HttpContext.RequestAborted);
                    if (role is null) { context.RejectPrincipal(); await context.HttpContext.SignOutAsync(CookieScheme); }
                    else if (role != user.Role)
                    {
                        context.ReplacePrincipal(DashboardUser.Principal(
                            new() { Id = user.Id, Email = user.Email, Name = user.Name, PasswordHash = "" },
                            new Membership(user.WorkspaceId, user.WorkspaceName, role)));
                        context.ShouldRenew = true;
                    }
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(DashboardPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireClaim(DashboardUser.UserIdClaim))
            .AddPolicy(ConfigurePolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireClaim(DashboardUser.UserIdClaim).RequireRole(Roles.Owner, Roles.Admin))
            .AddPolicy(OwnerPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireClaim(DashboardUser.UserIdClaim).RequireRole(Roles.Owner));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, MembershipRevalidatingStateProvider>();
        return builder;
    }

    /// <summary>POST /account/signout (antiforgery-checked form post from the app bar).</summary>
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieScheme);
            return TypedResults.LocalRedirect("/account/signin");
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        return app;
    }
}

/// <summary>
/// Re-checks an open dashboard circuit's membership every minute: a member removed or demoted mid-session loses
/// (or changes) access without reloading.
/// </summary>
internal sealed class MembershipRevalidatingStateProvider(ILoggerFactory loggers, IServiceScopeFactory scopes)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        if (DashboardUser.From(state.User) is not { } user) return true; // anonymous pages
        using var scope = scopes.CreateScope();
        var role = await scope.ServiceProvider.GetRequiredService<AccountService>().CurrentRoleAsync(user.WorkspaceId, user.Email, ct);
        return role == user.Role;
    }
}
