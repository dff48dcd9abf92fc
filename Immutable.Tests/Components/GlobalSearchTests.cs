using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Extensions;

namespace Immutable.Tests.Components;

/// <summary>
/// The app bar's search keeps what the viewer is typing when the layout around it renders again (a page that finished
/// loading, a navigation, a live update): in CI a search typed right after a navigation lost its first letters.
/// </summary>
public sealed class GlobalSearchTests : DashboardComponentTest
{
    [Fact]
    public void TextBeingTyped_SurvivesTheLayoutRenderingAgain()
    {
        var search = Ctx.Render<GlobalSearch>(p => p.Add(x => x.User, Owner));
        search.Find("input").Focus();
        search.Find("input").Input("gra");
        // The layout renders again with the same viewer (a new record each time, as MainLayout builds it).
        search.Render(p => p.Add(x => x.User, Owner with { }));
        search.Render(p => p.Add(x => x.User, Owner with { }));
        Assert.Equal("gra", search.Find("input").GetAttribute("value"));
        Assert.Equal("gra", search.FindComponent<MudAutocomplete<Immutable.Web.Search.SearchHit>>().Instance.GetState(x => x.Text));
    }

    [Fact]
    public void Focusing_DoesNotSelectTheText_SoLettersTypedBeforeTheServerAnswersAreNotReplaced()
    {
        // "/" focuses the field and the viewer types at once. A selection the server asks for on focus arrives after
        // the first letters on a busy server, and the next key replaced them (CI typed "grace" and got "ce").
        var search = Ctx.Render<GlobalSearch>(p => p.Add(x => x.User, Owner));
        search.Find("input").Focus();
        Assert.DoesNotContain(Ctx.JSInterop.Invocations, i => i.Identifier.Contains("select", StringComparison.OrdinalIgnoreCase));
    }
}
