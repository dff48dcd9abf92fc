using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Domain.Chain;

namespace Immutable.Web.Api;

/// <summary>Small typed readers for query strings and bodies that record a violation instead of throwing.</summary>
public static partial class RequestValues
{
    /// <summary>Nothing audited happened before the Unix epoch; earlier times are typos or attacks on date math.</summary>
    public static readonly DateTime EarliestTime = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>How far a client's clock may run ahead of ours.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    // [0-9], not \d: \d also matches other scripts' digits (fullwidth, Arabic-Indic...); \z, not $: $ allows a final \n.
    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})[Tt](?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(?:\.(?<f>[0-9]{1,9}))?(?<z>[Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})(?:[Tt](?<h>[0-9]{2}):(?<mi>[0-9]{2})(?::(?<s>[0-9]{2})(?:\.(?<f>[0-9]{1,9}))?)?(?<z>[Zz]|[+-][0-9]{2}:[0-9]{2})?)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601();

    /// <summary>
    /// RFC 3339 <c>date-time</c>: date, <c>T</c>, time with seconds, optional fraction and a mandatory offset (<c>Z</c> or
    /// ±hh:mm). Nothing else: no local times, no dates alone, no <c>1/2/2026</c> (which reads as 2 January in one
    /// country and 1 February in another). Returned in UTC, truncated to the microsecond.
    /// </summary>
    public static bool TryParseRfc3339(string text, out DateTime utc) => TryParse(Rfc3339().Match(text), out utc);

    /// <summary>
    /// The ISO 8601 extended forms a query may use: a date (<c>2026-03-27</c>, midnight UTC), or a date and time with
    /// optional seconds, fraction and offset (no offset is UTC).
    /// </summary>
    public static bool TryParseIso8601(string text, out DateTime utc) => TryParse(Iso8601().Match(text), out utc);

    private static bool TryParse(Match m, out DateTime utc)
    {
        utc = default;
        if (!m.Success) return false;
        int Part(string name) => m.Groups[name].Success ? int.Parse(m.Groups[name].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        var (year, month, day, hour, minute, second) = (Part("y"), Part("mo"), Part("d"), Part("h"), Part("mi"), Part("s"));
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        var ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks;
        if (m.Groups["f"].Success)
            ticks += long.Parse(m.Groups["f"].Value.PadRight(7, '0')[..7], NumberStyles.None, CultureInfo.InvariantCulture);
        var zone = m.Groups["z"].Value;
        if (zone.Length == 6)
        {
            var (offsetHours, offsetMinutes) = (int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture), int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture));
            if (offsetHours > 23 || offsetMinutes > 59) return false;
            var offset = (offsetHours * 60L + offsetMinutes) * TimeSpan.TicksPerMinute;
            ticks -= zone[0] == '+' ? offset : -offset;
        }
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return false;
        utc = Timestamps.ToMicroseconds(new DateTime(ticks, DateTimeKind.Utc));
        return true;
    }

    /// <summary>An ISO 8601 timestamp (<see cref="TryParseIso8601"/>, normalised to UTC microseconds); null when absent.</summary>
    public static DateTime? Time(string? text, string field, List<Violation> violations)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (TryParseIso8601(text, out var value)) return value;
        violations.Add(new Violation(field, "must be an ISO 8601 timestamp, e.g. 2026-03-27T14:32:18Z or 2026-03-27"));
        return null;
    }

    public static DateTime? Time(JsonElement obj, string field, List<Violation> violations)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return Time(v.GetString(), field, violations);
        violations.Add(new Violation(field, "must be an ISO 8601 timestamp"));
        return null;
    }

    /// <summary>A list's <c>from</c> and <c>to</c> query values (<see cref="Time(string?, string, List{Violation})"/>), each optional.</summary>
    public static (DateTime? From, DateTime? To) TimeRange(IQueryCollection query, List<Violation> violations) =>
        (Time(query["from"], "from", violations), Time(query["to"], "to", violations));

    /// <summary>
    /// The period a dry run replays: <c>to</c> defaults to now, <c>from</c> to a week before it; from 1970 to a day
    /// ahead of <paramref name="now"/>, at most <paramref name="maxPeriod"/> long. Bounded so a replay's date math
    /// (baseline weeks before from, windows after to) stays inside DateTime.
    /// </summary>
    public static (DateTime From, DateTime To) ReplayPeriod(JsonElement body, DateTime now, TimeSpan maxPeriod, List<Violation> violations)
    {
        var to = Time(body, "to", violations) ?? now;
        if (to < EarliestTime) violations.Add(new Violation("to", "must not be before 1970-01-01T00:00:00Z"));
        if (to > now + MaxClockSkew) violations.Add(new Violation("to", "must not be more than a day in the future"));
        var from = Time(body, "from", violations) ?? (to >= EarliestTime.AddDays(7) ? to.AddDays(-7) : EarliestTime);
        if (from < EarliestTime) violations.Add(new Violation("from", "must not be before 1970-01-01T00:00:00Z"));
        if (from >= to) violations.Add(new Violation("from", "must be before to"));
        if (to - from > maxPeriod) violations.Add(new Violation("from", string.Create(CultureInfo.InvariantCulture, $"the period may be at most {maxPeriod.TotalDays:0} days")));
        return (from, to);
    }

    public static string? Text(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } s ? s : null;

    /// <summary>The <c>status</c> filter of findings (open or acknowledged); null when absent.</summary>
    public static AlertStatus? Status(IQueryCollection query, List<Violation> violations)
    {
        if (Text(query, "status") is not { } text) return null;
        if (WireName.TryParse<AlertStatus>(text, out var status)) return status;
        violations.Add(new Violation("status", "must be " + string.Join(" or ", WireName.All<AlertStatus>())));
        return null;
    }

    /// <summary>The <c>severity</c> filter: one severity or several, comma-separated; null when absent.</summary>
    public static List<Severity>? Severities(IQueryCollection query, List<Violation> violations)
    {
        var parts = Text(query, "severity")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts is null) return null;
        var severities = new List<Severity>();
        foreach (var part in parts)
        {
            if (WireName.TryParse<Severity>(part, out var severity)) severities.Add(severity);
            else
            {
                violations.Add(new Violation("severity", "must be info, low, medium, high or critical (comma-separated for several)"));
                return null;
            }
        }
        return severities;
    }

    /// <summary>
    /// The optional <c>{"note"}</c> of an acknowledgement. An empty body is no note; anything else must be a JSON
    /// object whose note is a string of at most 2000 characters.
    /// </summary>
    public static async Task<(string? Note, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError>? Error)> AcknowledgementNoteAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is null or 0 && request.ContentType is null) return (null, null);
        using var body = await JsonBody.ReadAsync(request, 16 * 1024, new JsonDocumentOptions { AllowDuplicateProperties = false }, ct);
        if (body.Error is { } error) return request.ContentLength is null or 0 && error.StatusCode == 400 ? (null, null) : (null, error);
        var root = body.Document!.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return (null, Invalid("body", "must be a JSON object"));
        if (!root.TryGetProperty("note", out var n) || n.ValueKind == JsonValueKind.Null) return (null, null);
        if (n.ValueKind != JsonValueKind.String || n.GetString()!.Length > 2000) return (null, Invalid("note", "must be a string of at most 2000 characters"));
        return (n.GetString(), null);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError> Invalid(string field, string message) =>
        TypedResults.Json(ApiError.Validation([new Violation(field, message)]), statusCode: StatusCodes.Status422UnprocessableEntity);
}
