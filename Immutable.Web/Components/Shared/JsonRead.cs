using System.Text.Json.Nodes;

namespace Immutable.Web.Components.Shared;

/// <summary>Short readers for API JSON in Razor markup (generic calls do not parse inside attributes).</summary>
public static class JsonRead
{
    public static string Str(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?[name]?.ToJsonString() ?? "";
    public static string? StrOrNull(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public static bool Bool(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    public static IEnumerable<JsonNode> Items(JsonNode? node, string? name = null) => ((name is null ? node : node?[name]) as JsonArray ?? []).OfType<JsonNode>();
}
