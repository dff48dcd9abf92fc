using System.Globalization;

namespace Immutable.Domain.Chain;

/// <summary>The one timestamp format of the product: ISO 8601 UTC with exactly six fractional digits.</summary>
public static class Timestamps
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>Drops sub-microsecond ticks so a stored value and its ISO text round-trip exactly.</summary>
    public static DateTime ToMicroseconds(DateTime utc) =>
        new(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);

    public static DateTime ToMicroseconds(DateTimeOffset value) => ToMicroseconds(value.UtcDateTime);

    public static string ToIso(DateTime utc) => utc.ToString(Format, CultureInfo.InvariantCulture);
}
