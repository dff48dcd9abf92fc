using System.Collections.Concurrent;
using System.Globalization;

namespace Immutable.Web.Components.Shared.Charts;

/// <summary>
/// English country names for the ISO 3166 alpha-2 codes GeoIP stores ("RO" → "Romania"), from .NET's region data
/// (ICU). A code it does not know is shown as it is, never dropped.
/// </summary>
public static class CountryNames
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Name(string code) => Cache.GetOrAdd(code, static c =>
    {
        if (c.Length != 2 || !c.All(char.IsAsciiLetter)) return c;
        try
        {
            var name = new RegionInfo(c.ToUpperInvariant()).EnglishName;
            return string.IsNullOrWhiteSpace(name) ? c : name;
        }
        catch (ArgumentException)
        {
            return c;
        }
    });
}
