using Microsoft.AspNetCore.WebUtilities;

namespace Immutable.Web.Components.Pages.Triage;

/// <summary>
/// What the triage grid shows. It lives in the URL (<see cref="ToQueryString"/>/<see cref="Parse"/>) so an analyst can
/// share the exact view with a colleague during an incident.
/// </summary>
public sealed record TriageFilter
{
    /// <summary>"alerts" or "observations".</summary>
    public string Kind { get; init; } = "alerts";
    /// <summary>"open", "acknowledged" or null for both.</summary>
    public string? Status { get; init; } = "open";
    public IReadOnlyList<string> Severities { get; init; } = [];
    /// <summary>A rule type (alerts) — e.g. new_country.</summary>
    public string? RuleType { get; init; }
    /// <summary>A rule id (alerts) or monitor id (observations).</summary>
    public string? SourceId { get; init; }
    public string? Actor { get; init; }
    /// <summary>The shared time range (by the alerts' first event time, or their detection time with time=ingested).</summary>
    public Shared.TimeRange Range { get; init; } = new();

    public bool IsObservations => Kind == "observations";

    /// <summary>Value equality including the severities (a record compares lists by reference).</summary>
    public bool Equals(TriageFilter? other) =>
        other is not null && Kind == other.Kind && Status == other.Status && Severities.SequenceEqual(other.Severities)
        && RuleType == other.RuleType && SourceId == other.SourceId && Actor == other.Actor && Range == other.Range;

    public override int GetHashCode() => HashCode.Combine(Kind, Status, string.Join(',', Severities), RuleType, SourceId, Actor, Range);

    public string ToQueryString()
    {
        var parts = new List<KeyValuePair<string, string?>>();
        if (Kind != "alerts") parts.Add(new("kind", Kind));
        parts.Add(new("status", Status ?? "all"));
        if (Severities.Count > 0) parts.Add(new("severity", string.Join(',', Severities)));
        if (RuleType is not null) parts.Add(new("rule_type", RuleType));
        if (SourceId is not null) parts.Add(new("source", SourceId));
        if (Actor is not null) parts.Add(new("actor", Actor));
        parts.AddRange(Range.ToQuery(new Shared.TimeRange()));
        return QueryString.Create(parts).Value ?? "";
    }

    /// <summary>
    /// Reads a URL's query; values that make no sense are dropped rather than failing the page, except the time range,
    /// whose problems are reported in <paramref name="rangeErrors"/> (the picker shows them beside its fields).
    /// </summary>
    public static TriageFilter Parse(string? query, TimeZoneInfo? zone = null, List<(string Field, string Message)>? rangeErrors = null)
    {
        var q = QueryHelpers.ParseQuery(query);
        string? Get(string name) => q.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
        var status = Get("status");
        return new TriageFilter
        {
            Kind = Get("kind") == "observations" ? "observations" : "alerts",
            Status = status switch { "all" => null, "acknowledged" => "acknowledged", _ => "open" },
            Severities = (Get("severity") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(Shared.SeverityStyle.All.Contains).Distinct().ToList(),
            RuleType = Get("rule_type"),
            SourceId = Get("source"),
            Actor = Get("actor"),
            Range = Shared.TimeRange.Parse(query, new Shared.TimeRange(), zone ?? TimeZoneInfo.Utc, rangeErrors ?? []),
        };
    }
}

/// <summary>One row of the triage grid: an alert or an observation in one shape.</summary>
public sealed record TriageRow(
    string Kind, string Id, string Severity, string Status, string Source, string? RuleType, string Actor, string Reason,
    DateTime TriggeredAt, int HitCount, string? AcknowledgedBy);
