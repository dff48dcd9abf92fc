using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Events;
using Immutable.Web.Storage;

namespace Immutable.Web.Exports;

/// <summary>
/// What an export contains: the filters of <c>GET /api/v1/events</c> with the same names and meaning (they become an
/// <see cref="EventQuery"/>, whose <see cref="EventQuery.Filter"/> the export reads through), and the file format.
/// Every filter the Events page applies is here (<c>ip_address</c>, <c>country</c> and <c>time</c> too), so its "Export"
/// button exports exactly the events it lists.
/// </summary>
public sealed record ExportFilters
{
    /// <summary>The text filters, by their API name, in the order they are documented.</summary>
    public static readonly string[] TextFields = ["actor_id", "action", "resource", "resource_id", "tenant_id", "session_id", "ip_address", "target_type", "target_id", "search"];
    private const int MaxTextLength = 1000;

    public IReadOnlyDictionary<string, string> Text { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    /// <summary>ISO 3166 alpha-2 code of the event's IP (GeoIP), upper case.</summary>
    public string? Country { get; init; }
    /// <summary><c>occurred</c>: <see cref="From"/>/<see cref="To"/> bound the event time; <c>ingested</c> or none: the
    /// ingestion time (created_at, the default, as on <c>GET /api/v1/events</c>). Kept as given, so it is echoed back.</summary>
    public string? Time { get; init; }
    public bool ByOccurredAt => Time == "occurred";

    public string? this[string field] => Text.TryGetValue(field, out var v) ? v : null;

    /// <summary>The request body (an object; unknown members are ignored, as clients ignore ours).</summary>
    public static (ExportFilters Filters, ExportFormat Format) Parse(JsonElement body, List<Violation> violations)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new Violation("body", "must be a JSON object (or empty)"));
            return (new ExportFilters(), ExportFormat.Csv);
        }
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in TextFields)
        {
            if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind != JsonValueKind.String) violations.Add(new Violation(field, "must be a string"));
            else if (v.GetString()!.Length > MaxTextLength) violations.Add(new Violation(field, $"must be at most {MaxTextLength} characters"));
            else if (v.GetString() is { Length: > 0 } s) text[field] = s;
        }
        var from = RequestValues.Time(body, "from", violations);
        var to = RequestValues.Time(body, "to", violations);
        if (from is { } f && to is { } t && f > t) violations.Add(new Violation("to", "must not be before from"));
        string? country = null;
        if (body.TryGetProperty("country", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind == JsonValueKind.String && c.GetString() is { Length: 2 } code && code.All(char.IsAsciiLetter)) country = code.ToUpperInvariant();
            else violations.Add(new Violation("country", "must be a two-letter ISO 3166 country code (RO, US)"));
        }
        string? timeField = null;
        if (body.TryGetProperty("time", out var time) && time.ValueKind != JsonValueKind.Null)
        {
            if (time.ValueKind == JsonValueKind.String && time.GetString() is "occurred" or "ingested") timeField = time.GetString();
            else violations.Add(new Violation("time", "must be occurred or ingested"));
        }
        var format = ExportFormat.Csv;
        if (body.TryGetProperty("format", out var fmt) && fmt.ValueKind != JsonValueKind.Null
            && !(fmt.ValueKind == JsonValueKind.String && WireName.TryParse(fmt.GetString(), out format)))
            violations.Add(new Violation("format", "must be " + string.Join(" or ", WireName.All<ExportFormat>())));
        return (new ExportFilters { Text = text, From = from, To = to, Country = country, Time = timeField }, format);
    }

    /// <summary>The filters as stored and shown: only those given, snake_case, times in the API's format.</summary>
    public string ToJson()
    {
        var o = new JsonObject();
        if (From is { } f) o["from"] = Timestamps.ToIso(f);
        if (To is { } t) o["to"] = Timestamps.ToIso(t);
        if (Time is { } basis) o["time"] = basis;
        foreach (var field in TextFields)
            if (this[field] is { } v) o[field] = v;
        if (Country is { } c) o["country"] = c;
        return o.ToJsonString();
    }

    public static ExportFilters FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var violations = new List<Violation>();
        var (filters, _) = Parse(doc.RootElement, violations);
        return violations.Count == 0 ? filters : throw new FormatException("Stored export filters are invalid: " + json);
    }

    /// <summary>The events query these filters stand for, oldest first.</summary>
    public EventQuery ToQuery() => new()
    {
        ActorId = this["actor_id"],
        Action = this["action"],
        Resource = this["resource"],
        ResourceId = this["resource_id"],
        TenantId = this["tenant_id"],
        SessionId = this["session_id"],
        IpAddress = this["ip_address"],
        Country = Country,
        TargetType = this["target_type"],
        TargetId = this["target_id"],
        Search = this["search"],
        From = From,
        To = To,
        ByOccurredAt = ByOccurredAt,
        Ascending = true,
    };
}
