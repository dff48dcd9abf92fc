using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Immutable.Domain.Events;

namespace Immutable.Domain.Chain;

/// <summary>What one line of an archive or NDJSON export says about its event, and whether its hash holds.</summary>
/// <param name="RecomputedHash">SHA-256 of the line without <c>event_hash</c>, canonicalised.</param>
public sealed record StoredEventLineInfo(
    string Id, long Sequence, string? PreviousEventHash, string EventHash, string RecomputedHash, DateTime CreatedAt)
{
    public bool HashHolds => string.Equals(EventHash, RecomputedHash, StringComparison.Ordinal);
}

/// <summary>
/// The stored shape of an event as one JSON line (archives, NDJSON exports): the event's canonical text
/// (<see cref="EventHashing.CanonicalText"/>: every stored field, sorted keys, <c>"v":1</c>) with its
/// <c>event_hash</c> added in sorted position.
/// Invariant: removing <c>event_hash</c> from a line and canonicalising the rest (RFC 8785 with the big-integer rule
/// of <see cref="CanonicalJson"/>) gives back the exact bytes that were hashed, so anyone can check a line offline
/// without knowing the field list, and consecutive lines link by <c>previous_event_hash</c>.
/// </summary>
public static class StoredEventLine
{
    public const string HashKey = "event_hash";

    public static string Format(AuditEvent e)
    {
        var text = EventHashing.CanonicalText(e);
        // Keys are sorted: event_hash goes right before geo. ',"' never occurs inside a canonical string (a quote
        // inside a string is always escaped), so the first match is the member itself.
        var at = text.IndexOf(",\"geo\":{", StringComparison.Ordinal);
        var sb = new StringBuilder(text.Length + 80);
        sb.Append(text, 0, at).Append(",\"").Append(HashKey).Append("\":");
        CanonicalJson.WriteString(sb, e.EventHash);
        sb.Append(text, at, text.Length - at);
        return sb.ToString();
    }

    /// <summary>Reads a line written by <see cref="Format"/> and recomputes its hash; throws <see cref="FormatException"/> when it is not one.</summary>
    public static StoredEventLineInfo Read(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { AllowDuplicateProperties = false });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the line is not a JSON object");
            var properties = root.EnumerateObject().Where(p => p.Name != HashKey).ToList();
            properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var sb = new StringBuilder(line.Length);
            sb.Append('{');
            for (var i = 0; i < properties.Count; i++)
            {
                if (i > 0) sb.Append(',');
                CanonicalJson.WriteString(sb, properties[i].Name);
                sb.Append(':');
                CanonicalJson.Write(sb, properties[i].Value);
            }
            sb.Append('}');
            var recomputed = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
            string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()!
                : throw new FormatException($"the line has no {name}");
            var previous = root.TryGetProperty("previous_event_hash", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (!root.TryGetProperty("sequence", out var s) || !s.TryGetInt64(out var sequence)) throw new FormatException("the line has no sequence");
            var createdText = Text("created_at");
            if (!DateTime.TryParseExact(createdText, Timestamps.Format, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var created))
                throw new FormatException("created_at is not a timestamp");
            return new StoredEventLineInfo(Text("id"), sequence, previous, Text(HashKey), recomputed, DateTime.SpecifyKind(created, DateTimeKind.Utc));
        }
        catch (JsonException ex)
        {
            throw new FormatException("the line is not valid JSON: " + ex.Message, ex);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("the line cannot be canonicalised: " + ex.Message, ex);
        }
    }
}
