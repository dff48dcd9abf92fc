using System.Text.Encodings.Web;
using System.Text.Json;

namespace Immutable.Web.Components.Shared;

public static class JsonText
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Indented JSON for display. Rendered by Razor as text (HTML-encoded), so whatever an application put in metadata
    /// shows as characters, never as markup.
    /// </summary>
    public static string Pretty(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return "";
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
