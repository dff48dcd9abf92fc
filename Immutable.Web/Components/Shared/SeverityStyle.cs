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

    public static string Label(string? severity) => string.IsNullOrEmpty(severity) ? "" : char.ToUpperInvariant(severity[0]) + severity[1..];
}
