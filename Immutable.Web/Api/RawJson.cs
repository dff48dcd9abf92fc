using System.Text.Json;
using System.Text.Json.Serialization;

namespace Immutable.Web.Api;

/// <summary>Stored canonical JSON written into a response as-is, without a parse/serialise round trip.</summary>
[JsonConverter(typeof(RawJsonConverter))]
public readonly record struct RawJson(string Text)
{
    public static RawJson? From(string? text) => text is null ? null : new RawJson(text);
}

public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return new RawJson(doc.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Text, skipInputValidation: true);
}
