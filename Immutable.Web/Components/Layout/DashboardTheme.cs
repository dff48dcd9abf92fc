using MudBlazor;

namespace Immutable.Web.Components.Layout;

/// <summary>One palette for light and dark; severities map to the same palette colours everywhere (see <see cref="Shared.SeverityStyle"/>).</summary>
public static class DashboardTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00897b",
            Tertiary = "#f9a825",
            Error = "#c62828",
            Warning = "#ef6c00",
            Info = "#0277bd",
            AppbarBackground = "#1a237e",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7986cb",
            Secondary = "#4db6ac",
            Tertiary = "#ffd54f",
            Error = "#ef5350",
            Warning = "#ffa726",
            Info = "#4fc3f7",
        },
    };
}
