using MudBlazor;

namespace Immutable.Web.Components.Shared;

/// <summary>The one mapping from a severity to a colour, used by every chip, chart and count in the dashboard.</summary>
public static class SeverityStyle
{
    public static readonly IReadOnlyList<string> All = ["critical", "high", "medium", "low", "info"];

    public static Color Color(string? severity) => severity switch
    {
        "critical" => MudBlazor.Color.Error,
        "high" => MudBlazor.Color.Warning,
        "medium" => MudBlazor.Color.Tertiary,
        "low" => MudBlazor.Color.Info,
        _ => MudBlazor.Color.Default,
    };

    /// <summary>The same colour as a CSS value (the theme's palette variable), for SVG strokes and fills.</summary>
    public static string Css(string? severity) => severity switch
    {
        "critical" => "var(--mud-palette-error)",
        "high" => "var(--mud-palette-warning)",
        "medium" => "var(--mud-palette-tertiary)",
        "low" => "var(--mud-palette-info)",
        _ => "var(--mud-palette-text-secondary)",
    };

    public static string Label(string? severity) => string.IsNullOrEmpty(severity) ? "" : char.ToUpperInvariant(severity[0]) + severity[1..];
}
