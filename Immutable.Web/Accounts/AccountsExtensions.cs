using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
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
        // Antiforgery's cookie follows the request's scheme like the session cookie (behind a TLS proxy: Secure).
        builder.Services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        builder.Services.AddSingleton<ISignInThrottle, InMemorySignInThrottle>();
        builder.Services.AddSingleton<AccountService>();
        builder.Services.AddSingleton<MemberService>();
        builder.Services.AddSingleton<LiveSessions>();
        builder.Services.AddDomainEventSubscriber<LiveSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveSessions>());
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
                // The cookie is only as good as its server-side session: signed out, locked out or removed ends it
                // on the next request; a changed role takes effect there too.
                o.Events.OnValidatePrincipal = async context =>
                {
                    if (DashboardUser.From(context.Principal!) is not { SessionId: { } sessionId } user) { context.RejectPrincipal(); return; }
                    var role = await context.HttpContext.RequestServices.GetRequiredService<AccountService>().SessionRoleAsync(sessionId, context.HttpContext.RequestAborted);
                    if (role is null) { context.RejectPrincipal(); await context.HttpContext.SignOutAsync(CookieScheme); }
                    else if (role != user.Role)
                    {
                        context.ReplacePrincipal(DashboardUser.Principal(
                            new() { Id = user.Id, Email = user.Email, Name = user.Name, PasswordHash = "" },
                            new Membership(user.WorkspaceId, user.WorkspaceName, role), sessionId));
                        context.ShouldRenew = true;
                    }
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(DashboardPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireClaim(DashboardUser.UserIdClaim))
            .AddPolicy(ConfigurePolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireClaim(DashboardUser.UserIdClaim).RequireRole(Roles.Owner, Roles.Admin))
            .AddPolicy(OwnerPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireClaim(DashboardUser.UserIdClaim).RequireRole(Roles.Owner));
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, SessionWatchingStateProvider>();
        return builder;
    }

    /// <summary>POST /account/signout (antiforgery-checked form post from the app bar): ends the session on the server.</summary>
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/signout", async Task<IResult> (HttpContext context, AccountService accounts) =>
        {
            // The antiforgery middleware only records its verdict for an endpoint that binds no form: check it here,
            // or any site could sign a member out (and end their session) with a cross-site form post.
            if (context.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is not { IsValid: true })
                return TypedResults.BadRequest("The sign-out form expired; reload the page and sign out again.");
            if (DashboardUser.From(context.User) is { SessionId: { } sessionId })
                await accounts.EndSessionAsync(sessionId, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
            await context.SignOutAsync(CookieScheme);
            return TypedResults.LocalRedirect("/account/signin");
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        return app;
    }
}

/// <summary>
/// A circuit's authentication state, watched by <see cref="LiveSessions"/>: when its session ends, its member is
/// removed or its role changes, the state becomes anonymous within a check interval and the dashboard sends the tab
/// to sign-in (signing in again picks up the new role).
/// </summary>
internal sealed class SessionWatchingStateProvider : ServerAuthenticationStateProvider, IDisposable
{
    private readonly LiveSessions _sessions;
    private IDisposable? _watch;

    public SessionWatchingStateProvider(LiveSessions sessions)
    {
        _sessions = sessions;
        AuthenticationStateChanged += OnChanged;
    }

    private async void OnChanged(Task<AuthenticationState> task)
    {
        try
        {
            var state = await task;
            _watch?.Dispose();
            _watch = DashboardUser.From(state.User) is { SessionId: { } sessionId } user
                ? _sessions.WatchCircuit(sessionId, user.Role, () =>
                    SetAuthenticationState(Task.FromResult(new AuthenticationState(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity())))))
                : null;
        }
        catch (Exception)
        {
            // A faulted state task is the framework's to report; nothing to watch.
        }
    }

    public void Dispose()
    {
        AuthenticationStateChanged -= OnChanged;
        _watch?.Dispose();
    }
}
