using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace Immutable.Web.Components.Shared;

/// <summary>Which of an event's two times a range filters on.</summary>
public enum TimeField
{
    /// <summary>When the application says it happened (<c>occurred_at</c>): what an analyst means by "when".</summary>
    Occurred,
    /// <summary>When Immutable stored it (<c>created_at</c>): a back-dated event counts when it arrived.</summary>
    Ingested,
}

/// <summary>
/// The time range the dashboard's Overview, Triage, Events and Actors pages share, kept in the URL
/// (<c>range=24h</c>, or <c>from=…&amp;to=…</c> in ISO 8601; <c>time=occurred|ingested</c>) so it survives navigation
/// and can be shared. Pure: "now" and the viewer's zone are passed in.
/// </summary>
public sealed record TimeRange
{
    /// <summary>The relative presets, shortest first.</summary>
    public static readonly IReadOnlyList<string> Presets = ["15m", "1h", "24h", "7d", "30d"];

    /// <summary>No bound at all (the default of Triage, Events and Actors, so nothing open is hidden by a range).</summary>
    public const string All = "all";

    /// <summary>A preset or <see cref="All"/>; null when the range is absolute.</summary>
    public string? Relative { get; init; } = All;
    /// <summary>Absolute bounds in UTC (inclusive); either may be open.</summary>
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    public TimeField Field { get; init; } = TimeField.Occurred;

    public bool IsAbsolute => Relative is null;

    public static TimeRange Last(string preset) => new() { Relative = preset };

    /// <summary>The UTC bounds at <paramref name="now"/>; null where the range is open.</summary>
    public (DateTime? From, DateTime? To) Resolve(DateTimeOffset now) => Relative switch
    {
        null => (From, To),
        All => (null, null),
        var preset => (now.UtcDateTime - Span(preset), null),
    };

    public static TimeSpan Span(string preset) => preset switch
    {
        "15m" => TimeSpan.FromMinutes(15),
        "1h" => TimeSpan.FromHours(1),
        "24h" => TimeSpan.FromHours(24),
        "7d" => TimeSpan.FromDays(7),
        "30d" => TimeSpan.FromDays(30),
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "not a preset"),
    };

    /// <summary>How the range reads in a heading: "last 24 h", "all time", "2026-12-01 10:00 – now".</summary>
    public string Label(Func<DateTime, string> format) => Relative switch
    {
        All => "all time",
        null => $"{(From is { } f ? format(f) : "the start")} – {(To is { } t ? format(t) : "now")}",
        var p => "last " + p[..^1] + " " + p[^1..].Replace("m", "min", StringComparison.Ordinal),
    };

    /// <summary>The query parameters of this range (empty for <paramref name="defaults"/>, so plain URLs stay plain).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> ToQuery(TimeRange defaults)
    {
        var parts = new List<KeyValuePair<string, string?>>();
        if (Relative is { } r)
        {
            if (r != defaults.Relative) parts.Add(new("range", r));
        }
        else
        {
            if (From is { } f) parts.Add(new("from", Iso(f)));
            if (To is { } t) parts.Add(new("to", Iso(t)));
        }
        if (Field != TimeField.Occurred) parts.Add(new("time", "ingested"));
        return parts;
    }

    /// <summary>The names <see cref="ToQuery"/> writes: a page replaces exactly these in its URL.</summary>
    public static readonly IReadOnlyList<string> QueryNames = ["range", "from", "to", "time"];

    /// <summary>
    /// Reads a URL's query. A value that is not a preset, not ISO 8601, or a from after its to is reported by field
    /// (the page shows it) and that part of the range is left at <paramref name="defaults"/>.
    /// </summary>
    public static TimeRange Parse(string? query, TimeRange defaults, TimeZoneInfo zone, List<(string Field, string Message)> errors)
    {
        var q = QueryHelpers.ParseQuery(query);
        string? Get(string name) => q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
        var range = defaults;
        var time = Get("time");
        if (time is not null)
        {
            if (time is "occurred" or "ingested") range = range with { Field = time == "ingested" ? TimeField.Ingested : TimeField.Occurred };
            else errors.Add(("time", "must be occurred or ingested"));
        }
        var (fromText, toText, relative) = (Get("from"), Get("to"), Get("range"));
        if (fromText is not null || toText is not null)
        {
            DateTime? from = null, to = null;
            if (fromText is not null)
            {
                if (TryParseIso(fromText, zone, out var f, out var error)) from = f;
                else errors.Add(("from", error!));
            }
            if (toText is not null)
            {
                if (TryParseIso(toText, zone, out var t, out var error)) to = t;
                else errors.Add(("to", error!));
            }
            if (from > to) errors.Add(("to", "must not be before from"));
            else if (errors.All(e => e.Field is not ("from" or "to")) && (from is not null || to is not null)) range = range with { Relative = null, From = from, To = to };
        }
        else if (relative is not null)
        {
            if (relative == All || Presets.Contains(relative)) range = range with { Relative = relative, From = null, To = null };
            else errors.Add(("range", $"must be one of {string.Join(", ", Presets)} or {All}"));
        }
        return range;
    }

    /// <summary>
    /// ISO 8601 date and time (<c>2026-12-01T10:00</c>, seconds optional, <c>Z</c> or an offset optional; a space is
    /// accepted for the T). Without an offset the time is read in <paramref name="zone"/>, the viewer's.
    /// </summary>
    public static bool TryParseIso(string text, TimeZoneInfo zone, out DateTime utc, out string? error)
    {
        utc = default;
        error = null;
        var s = text.Trim().Replace(' ', 'T');
        string[] withOffset = ["yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"];
        string[] local = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF"];
        if (s.Length > 0 && (s.EndsWith('Z') || s.LastIndexOfAny(['+', '-']) > 10)
            && DateTimeOffset.TryParseExact(s, withOffset, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto))
        {
            utc = dto.UtcDateTime;
            return true;
        }
        if (DateTime.TryParseExact(s, local, CultureInfo.InvariantCulture, DateTimeStyles.None, out var plain))
        {
            if (zone.IsInvalidTime(plain))
            {
                error = $"does not exist in {zone.Id} (a clock change skips it)";
                return false;
            }
            utc = TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(plain, DateTimeKind.Unspecified), zone);
            return true;
        }
        error = "must be an ISO 8601 date and time, e.g. 2026-12-01T09:30 or 2026-12-01T09:30:00Z";
        return false;
    }

    /// <summary>UTC, to the second, as the URL carries it.</summary>
    public static string Iso(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><paramref name="uri"/> with this range in its query instead of whatever range it had; other parameters kept.</summary>
    public string ApplyTo(string uri, TimeRange defaults)
    {
        var queryStart = uri.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? uri : uri[..queryStart];
        var kept = QueryHelpers.ParseQuery(queryStart < 0 ? "" : uri[queryStart..])
            .Where(p => !QueryNames.Contains(p.Key))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));
        return path + (Microsoft.AspNetCore.Http.QueryString.Create(kept.Concat(ToQuery(defaults))).Value ?? "");
    }

    /// <summary>The range parameters of a URL's query as they are (to carry them to another page's link).</summary>
    public static string CarriedQuery(string? query)
    {
        var q = QueryHelpers.ParseQuery(query);
        var carried = QueryNames.Where(q.ContainsKey)
            .SelectMany(n => q[n].Select(v => new KeyValuePair<string, string?>(n, v)));
        return Microsoft.AspNetCore.Http.QueryString.Create(carried).Value ?? "";
    }
}
