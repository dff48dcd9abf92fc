using System.Collections.Frozen;
using System.Text.Json;

namespace Immutable.Domain;

/// <summary>
/// The one spelling of an enum value outside the process (API bodies and queries, stored columns, webhook and email
/// payloads): its name in snake_case, by the same naming policy as the API's JSON enum converter
/// (<c>RuleType.HighVolumeDestructive</c> ↔ <c>high_volume_destructive</c>). No hand-written name maps.
/// </summary>
public static class WireName
{
    public static string Of<T>(T value) where T : struct, Enum => Names<T>.ToWire[value];

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        if (text is not null && Names<T>.FromWire.TryGetValue(text, out value)) return true;
        value = default;
        return false;
    }

    /// <summary>For stored values, which are always valid: a bad one is corruption, not input.</summary>
    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}.");

    /// <summary>Every value's name, in declaration order (for messages like "must be one of ...").</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Names<T>.InOrder;

    private static class Names<T> where T : struct, Enum
    {
        public static readonly IReadOnlyList<string> InOrder = Enum.GetValues<T>().Select(v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString())).ToArray();
        public static readonly FrozenDictionary<T, string> ToWire = Enum.GetValues<T>().Zip(InOrder).ToFrozenDictionary(p => p.First, p => p.Second);
        public static readonly FrozenDictionary<string, T> FromWire = ToWire.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
