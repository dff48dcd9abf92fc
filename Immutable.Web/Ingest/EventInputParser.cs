using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.Api;

namespace Immutable.Web.Ingest;

/// <summary>An event as parsed from the wire, before enrichment: content plus the raw IP the client named.</summary>
public sealed record ParsedEvent(EventContent Content, IPAddress? IpAddress);

/// <summary>
/// Validates an ingest body field by field (docs/api.md "Ingest limits"). Unknown fields are ignored so
/// newer SDKs keep working; an explicit null is the same as an absent optional field.
/// </summary>
public static partial class EventInputParser
{
    public const int MaxIdLength = 256;
    public const int MaxTextLength = 1024;
    public const int MaxUserAgentLength = 2048;
    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataBytes = 64 * 1024;
    public const int MaxTargets = 100;
    public const int MaxBatch = 100;

    public static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 32,
        AllowDuplicateProperties = false,
    };

    [GeneratedRegex(@"^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ActionShape();

    /// <summary>Four decimal parts 0..255 without leading zeros ([0-9]: \d would take other scripts' digits).</summary>
    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DottedQuad();

    /// <summary>The characters of IPv6 text: hex groups, colons, and the dots of an embedded IPv4 tail.</summary>
    [GeneratedRegex(@"^[0-9A-Fa-f:.]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Characters();

    /// <summary>Parses one event object; violations are named with <paramref name="path"/> as prefix.</summary>
    /// <param name="receivedAt">Now: occurred_at may run ahead of it by <see cref="RequestValues.MaxClockSkew"/> at most.</param>
    /// <param name="queryActionPatterns">
    /// Actions that are query activity: their metadata must carry valid query context values (rows, sensitivity...).
    /// </param>
    public static ParsedEvent? Parse(JsonElement element, string path, List<Violation> violations, DateTime receivedAt, IReadOnlyList<string>? queryActionPatterns = null)
    {
        var before = violations.Count;
        if (element.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new Violation(path.Length == 0 ? "body" : path, "must be a JSON object"));
            return null;
        }
        var reader = new FieldReader(element, path, violations, receivedAt);

        var actorId = reader.RequiredString("actor_id", MaxIdLength);
        var action = reader.RequiredString("action", MaxIdLength);
        if (action is not null && !ActionShape().IsMatch(action))
            violations.Add(new Violation(reader.Path("action"), "must be dotted segments of letters, digits, '_', '-' or ':' (e.g. auth.login)"));

        var content = new EventContent
        {
            Id = Guid.NewGuid(),
            ActorId = actorId ?? "",
            ActorName = reader.OptionalString("actor_name", MaxTextLength),
            ActorType = reader.OptionalString("actor_type", MaxIdLength),
            Action = action ?? "",
            ActionCategory = reader.OptionalString("action_category", MaxIdLength),
            Resource = reader.OptionalString("resource", MaxIdLength),
            ResourceId = reader.OptionalString("resource_id", MaxIdLength),
            ResourceName = reader.OptionalString("resource_name", MaxTextLength),
            Targets = ParseTargets(reader),
            MetadataJson = ParseMetadata(reader, "metadata"),
            TenantId = reader.OptionalString("tenant_id", MaxIdLength),
            SessionId = reader.OptionalString("session_id", MaxIdLength),
            UserAgent = reader.OptionalString("user_agent", MaxUserAgentLength),
            IdempotencyKey = reader.OptionalString("idempotency_key", MaxIdLength),
            Version = reader.OptionalInt("version"),
            OccurredAt = reader.OptionalTimestamp("occurred_at"),
        };
        var ip = reader.OptionalIp("ip_address");
        if (queryActionPatterns is not null && action is not null && content.MetadataJson is not null
            && Immutable.Domain.Rules.ActionPattern.MatchesAny(queryActionPatterns, action))
        {
            using var metadata = JsonDocument.Parse(content.MetadataJson);
            var problems = new List<(string Key, string Message)>();
            Immutable.Domain.Monitors.QueryContext.Parse(metadata.RootElement, problems);
            foreach (var (key, message) in problems) violations.Add(new Violation(reader.Path("metadata") + "." + key, message));
        }
        return violations.Count == before ? new ParsedEvent(content, ip) : null;
    }

    private static List<EventTarget> ParseTargets(FieldReader reader)
    {
        if (!reader.TryGet("targets", out var targets)) return [];
        if (targets.ValueKind != JsonValueKind.Array)
        {
            reader.Fail("targets", "must be an array");
            return [];
        }
        if (targets.GetArrayLength() > MaxTargets)
        {
            reader.Fail("targets", $"must have at most {MaxTargets} items");
            return [];
        }
        var list = new List<EventTarget>();
        var i = 0;
        foreach (var item in targets.EnumerateArray())
        {
            var itemPath = $"{reader.Path("targets")}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                reader.Violations.Add(new Violation(itemPath, "must be an object"));
                continue;
            }
            var t = new FieldReader(item, itemPath, reader.Violations, reader.ReceivedAt);
            var type = t.RequiredString("type", MaxIdLength);
            var id = t.OptionalString("id", MaxIdLength);
            var name = t.OptionalString("name", MaxTextLength);
            var metadata = ParseMetadata(t, "metadata");
            if (type is not null) list.Add(new EventTarget(type, id, name, metadata));
        }
        return list;
    }

    private static string? ParseMetadata(FieldReader reader, string name)
    {
        if (!reader.TryGet(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            reader.Fail(name, "must be an object");
            return null;
        }
        var keys = 0;
        foreach (var _ in value.EnumerateObject()) keys++;
        if (keys > MaxMetadataKeys)
        {
            reader.Fail(name, $"must have at most {MaxMetadataKeys} top-level keys (has {keys})");
            return null;
        }
        var canonical = CanonicalJson.Canonicalize(value);
        var size = Encoding.UTF8.GetByteCount(canonical);
        if (size > MaxMetadataBytes)
        {
            reader.Fail(name, $"must be at most {MaxMetadataBytes} bytes serialized (is {size})");
            return null;
        }
        return canonical;
    }

    /// <summary>Reads typed fields of one JSON object and records a violation per bad field.</summary>
    private readonly struct FieldReader(JsonElement obj, string prefix, List<Violation> violations, DateTime receivedAt)
    {
        public List<Violation> Violations => violations;

        public DateTime ReceivedAt => receivedAt;

        public string Path(string field) => prefix.Length == 0 ? field : $"{prefix}.{field}";

        public void Fail(string field, string message) => violations.Add(new Violation(Path(field), message));

        /// <summary>True when the field is present and not null.</summary>
        public bool TryGet(string field, out JsonElement value) =>
            obj.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

        public string? RequiredString(string field, int maxLength)
        {
            if (!TryGet(field, out _))
            {
                Fail(field, "is required");
                return null;
            }
            var value = OptionalString(field, maxLength);
            if (value is not null && value.Trim().Length == 0)
            {
                Fail(field, "must not be empty");
                return null;
            }
            return value;
        }

        public string? OptionalString(string field, int maxLength)
        {
            if (!TryGet(field, out var value)) return null;
            if (value.ValueKind != JsonValueKind.String)
            {
                Fail(field, "must be a string");
                return null;
            }
            var text = value.GetString()!;
            if (text.Length > maxLength)
            {
                Fail(field, $"must be at most {maxLength} characters");
                return null;
            }
            return text;
        }

        public int? OptionalInt(string field)
        {
            if (!TryGet(field, out var value)) return null;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
            {
                Fail(field, "must be an integer");
                return null;
            }
            return number;
        }

        public DateTime? OptionalTimestamp(string field)
        {
            var text = OptionalString(field, 64);
            if (text is null) return null;
            // RFC 3339 only: a time without an offset, or 1/2/2026, means different instants to different readers.
            if (!RequestValues.TryParseRfc3339(text, out var parsed))
            {
                Fail(field, "must be an RFC 3339 (ISO 8601) timestamp with a time and an offset, e.g. 2026-03-27T14:32:18.291034Z or 2026-03-27T16:32:18+02:00");
                return null;
            }
            if (parsed < RequestValues.EarliestTime || parsed > receivedAt + RequestValues.MaxClockSkew)
            {
                Fail(field, "must be between 1970-01-01T00:00:00Z and one day after the time the server receives the event");
                return null;
            }
            return parsed;
        }

        public IPAddress? OptionalIp(string field)
        {
            var text = OptionalString(field, 64);
            if (text is null) return null;
            if (!TryParseStrictIp(text, out var address))
            {
                Fail(field, "must be an IPv4 or IPv6 address in standard text form (e.g. 81.2.69.142 or 2001:db8::1; no leading zeros, zone id, brackets or port)");
                return null;
            }
            return address;
        }
    }

    /// <summary>
    /// IPAddress.TryParse accepts "1" as 0.0.0.1, "0x7f.1" and "0177.0.0.1" as 127.0.0.1, "01.02.03.04", zone ids and
    /// brackets with a port; other tools read several of those differently, and an audit log must record the address
    /// everyone agrees on. Accepted: a dotted quad of four decimal parts without leading zeros, or IPv6 text
    /// (RFC 4291, any case, an embedded dotted quad allowed) without zone id, brackets or port. IPv4-mapped IPv6 is
    /// returned as IPv4; the caller stores the address's standard text (RFC 5952 for IPv6).
    /// </summary>
    public static bool TryParseStrictIp(string text, out IPAddress? address)
    {
        address = null;
        if (!text.Contains(':', StringComparison.Ordinal))
        {
            if (!DottedQuad().IsMatch(text)) return false;
            address = IPAddress.Parse(text);
            return true;
        }
        if (!Ipv6Characters().IsMatch(text)) return false;
        var tail = text[(text.LastIndexOf(':') + 1)..];
        if (tail.Contains('.', StringComparison.Ordinal) && !DottedQuad().IsMatch(tail)) return false;
        if (!IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6) return false;
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }
}
