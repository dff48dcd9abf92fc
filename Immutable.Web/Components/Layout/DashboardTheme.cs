using MudBlazor;

namespace Immutable.Web.Components.Layout;

/// <summary>
/// One palette for light and dark; severities map to the same palette colours everywhere (see <see cref="Shared.SeverityStyle"/>).
/// Every colour meets WCAG AA contrast (4.5:1) for text on the page's background and for the text drawn on it
/// (the *ContrastText colours): light colours carry black text, dark ones white. DashboardLayoutTests checks it with
/// axe-core on every page in both modes.
/// </summary>
public static class DashboardTheme
{
    private const string Black = "rgba(0,0,0,0.87)";

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00796b",
            Tertiary = "#f9a825",
            TertiaryContrastText = Black,
            Error = "#c62828",
            Warning = "#bf4300",
            Info = "#0277bd",
            Success = "#2e7d32",
            AppbarBackground = "#1a237e",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            PrimaryContrastText = Black,
            Secondary = "#80cbc4",
            SecondaryContrastText = Black,
            Tertiary = "#ffd54f",
            TertiaryContrastText = Black,
            Error = "#ff8a80",
            ErrorContrastText = Black,
            Warning = "#ffa726",
            WarningContrastText = Black,
            Info = "#4fc3f7",
            InfoContrastText = Black,
            Success = "#81c784",
            SuccessContrastText = Black,
            TextPrimary = "rgba(255,255,255,0.87)",
            TextSecondary = "rgba(255,255,255,0.70)",
            TableStriped = "rgba(255,255,255,0.06)",
        },
    };
}
