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

/// <summary>
/// The setup most component tests share: a real host, a workspace "acme" with an API key, and bUnit signed in to it as
/// its owner, with MudBlazor's popover provider rendered.
/// </summary>
public sealed class DashboardComponentHost : IAsyncDisposable
{
    private DashboardComponentHost(ImmutableAppFactory app, Immutable.Web.Workspaces.CreatedKey key, BunitContext context)
    {
        App = app;
        Key = key;
        Context = context;
        Owner = new DashboardUser("usr_test", "ana@example.com", "Ana Owner", key.WorkspaceId, "acme", Roles.Owner);
    }

    public ImmutableAppFactory App { get; }
    public Immutable.Web.Workspaces.CreatedKey Key { get; }
    public BunitContext Context { get; }
    public DashboardUser Owner { get; }

    /// <param name="app">A host configured by the test (e.g. <c>With(...)</c>); a default one when null. Disposed with this.</param>
    /// <param name="hostClock">Components read the host's fake clock (relative time ranges end at its now), not the real one.</param>
    public static async Task<DashboardComponentHost> StartAsync(ImmutableAppFactory? app = null, bool hostClock = false)
    {
        app ??= new ImmutableAppFactory();
        var key = await app.CreateKeyAsync("acme");
        var context = DashboardComponentContext.Create(app.Services, key.WorkspaceId);
        if (hostClock) context.Services.AddSingleton<TimeProvider>(app.Time);
        context.Render<MudBlazor.MudPopoverProvider>();
        return new DashboardComponentHost(app, key, context);
    }

    /// <summary>An HTTP client on the host with the workspace's key.</summary>
    public HttpClient CreateClient()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Key.Key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await App.DisposeAsync();
    }
}

/// <summary>
/// Base of the component test classes: one <see cref="DashboardComponentHost"/> per test (xUnit makes an instance per
/// test), started before it and disposed after it. Override <see cref="CreateApp"/> to configure the host and
/// <see cref="HostClock"/> to give components the host's fake clock.
/// </summary>
public abstract class DashboardComponentTest : IAsyncLifetime
{
    private DashboardComponentHost? _host;
    private HttpClient? _client;

    protected DashboardComponentHost Host => _host ?? throw new InvalidOperationException("The host starts in InitializeAsync.");
    protected ImmutableAppFactory App => Host.App;
    protected BunitContext Ctx => Host.Context;
    protected Immutable.Web.Workspaces.CreatedKey Key => Host.Key;
    protected string WorkspaceId => Host.Key.WorkspaceId;
    protected DashboardUser Owner => Host.Owner;

    /// <summary>An HTTP client on the host with the workspace's key (created on first use, disposed with the test).</summary>
    protected HttpClient Client => _client ??= Host.CreateClient();

    protected virtual ImmutableAppFactory CreateApp() => new();

    protected virtual bool HostClock => false;

    public virtual async Task InitializeAsync() => _host = await DashboardComponentHost.StartAsync(CreateApp(), HostClock);

    public virtual async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }
}
