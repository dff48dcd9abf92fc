using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Accounts;
using Immutable.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Extensions;

namespace Immutable.Tests.Components;

/// <summary>
/// The app bar's search keeps what the viewer is typing when the layout around it renders again (a page that finished
/// loading, a navigation, a live update): in CI a search typed right after a navigation lost its first letters.
/// </summary>
public sealed class GlobalSearchTests : IAsyncLifetime
{
    private readonly ImmutableAppFactory _app = new();
    private BunitContext _ctx = default!;
    private DashboardUser _owner = default!;

    public async Task InitializeAsync()
    {
        var key = await _app.CreateKeyAsync("acme");
        _owner = new DashboardUser("usr_test", "ana@example.com", "Ana Owner", key.WorkspaceId, "acme", Roles.Owner);
        _ctx = DashboardComponentContext.Create(_app.Services, key.WorkspaceId);
        _ctx.Render<MudPopoverProvider>();
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public void TextBeingTyped_SurvivesTheLayoutRenderingAgain()
    {
        var search = _ctx.Render<GlobalSearch>(p => p.Add(x => x.User, _owner));
        search.Find("input").Focus();
        search.Find("input").Input("gra");
        // The layout renders again with the same viewer (a new record each time, as MainLayout builds it).
        search.Render(p => p.Add(x => x.User, _owner with { }));
        search.Render(p => p.Add(x => x.User, _owner with { }));
        Assert.Equal("gra", search.Find("input").GetAttribute("value"));
        Assert.Equal("gra", search.FindComponent<MudAutocomplete<Immutable.Web.Search.SearchHit>>().Instance.GetState(x => x.Text));
    }

    [Fact]
    public void Focusing_DoesNotSelectTheText_SoLettersTypedBeforeTheServerAnswersAreNotReplaced()
    {
        // "/" focuses the field and the viewer types at once. A selection the server asks for on focus arrives after
        // the first letters on a busy server, and the next key replaced them (CI typed "grace" and got "ce").
        var search = _ctx.Render<GlobalSearch>(p => p.Add(x => x.User, _owner));
        search.Find("input").Focus();
        Assert.DoesNotContain(_ctx.JSInterop.Invocations, i => i.Identifier.Contains("select", StringComparison.OrdinalIgnoreCase));
    }
}
