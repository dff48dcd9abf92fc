namespace Immutable.Web.Components.Layout;

/// <summary>
/// The theme a person chose in the dashboard, as static pages see it: the cookie <c>immutable.theme</c> that
/// wwwroot/theme.js keeps in step with the toggle's saved choice. Only "dark" means dark; anything else is light.
/// </summary>
public static class SavedTheme
{
    public const string Cookie = "immutable.theme";

    public static bool IsDark(HttpContext? context) =>
        context?.Request.Cookies.TryGetValue(Cookie, out var value) == true && value == "dark";
}
