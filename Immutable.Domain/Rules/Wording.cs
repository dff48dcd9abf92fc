using System.Globalization;
using Immutable.Domain.Events;

namespace Immutable.Domain.Rules;

internal static class Wording
{
    public static string Did(AuditEvent e) =>
        e.Content.Action.StartsWith("auth.login", StringComparison.Ordinal) && !e.Content.Action.Contains("fail", StringComparison.OrdinalIgnoreCase)
            ? "logged in"
            : $"performed {e.Content.Action}";

    public static string Place(string? city, string? country) =>
        city is null ? country ?? "an unknown place" : country is null ? city : $"{city}, {country}";

    public static string N(double value, int decimals = 0) => value.ToString("N" + decimals, CultureInfo.InvariantCulture);

    /// <summary>Case-insensitive group keys: "Jordan@X.com" and "jordan@x.com" are one target.</summary>
    public static string FoldKey(string key) => key.Trim().ToLowerInvariant();
}
