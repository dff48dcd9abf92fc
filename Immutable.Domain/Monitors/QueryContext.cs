using System.Text.Json;

namespace Immutable.Domain.Monitors;

public enum Sensitivity
{
    NonSensitive,
    Sensitive,
    HighlySensitive,
}

public enum QueryOutcome
{
    Success,
    Unauthorized,
    Failure,
}

/// <summary>
/// The recognised metadata keys of a query-activity event (docs/query-activity.md): where the query ran, what
/// it touched, how sensitive that is, how it ended, how many rows and how long.
/// </summary>
public sealed record QueryContext(
    string? DataSource,
    string? Schema,
    string? Table,
    IReadOnlyList<string> ColumnTags,
    IReadOnlyList<string> TableTags,
    IReadOnlyList<string> ClassificationTags,
    Sensitivity? Sensitivity,
    QueryOutcome? Outcome,
    long? Rows,
    double? DurationMs)
{
    public static QueryContext Empty { get; } = new(null, null, null, [], [], [], null, null, null, null);

    public IEnumerable<string> AllTags => ColumnTags.Concat(TableTags).Concat(ClassificationTags);

    /// <summary>
    /// Reads the recognised keys of a metadata object; a present key with a wrong value is reported as
    /// (key, message) and the context is null. Unrecognised keys are ignored.
    /// </summary>
    public static QueryContext? Parse(JsonElement metadata, List<(string Key, string Message)> problems)
    {
        var before = problems.Count;
        string? Text(string key)
        {
            if (!metadata.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.String) return v.GetString();
            problems.Add((key, "must be a string"));
            return null;
        }
        List<string> Tags(string key)
        {
            if (!metadata.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return [];
            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
            {
                problems.Add((key, "must be an array of strings"));
                return [];
            }
            return v.EnumerateArray().Select(t => t.GetString()!).ToList();
        }

        Sensitivity? sensitivity = null;
        if (Text("sensitivity") is { } s)
        {
            if (WireName.TryParse<Sensitivity>(s, out var parsed)) sensitivity = parsed;
            else problems.Add(("sensitivity", "must be non_sensitive, sensitive or highly_sensitive"));
        }
        QueryOutcome? outcome = null;
        if (Text("outcome") is { } o)
        {
            if (WireName.TryParse<QueryOutcome>(o, out var parsed)) outcome = parsed;
            else problems.Add(("outcome", "must be success, unauthorized or failure"));
        }
        long? rows = null;
        if (metadata.TryGetProperty("rows", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            if (r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var n) && n >= 0) rows = n;
            else problems.Add(("rows", "must be a non-negative integer"));
        }
        double? duration = null;
        if (metadata.TryGetProperty("duration_ms", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind == JsonValueKind.Number && d.TryGetDouble(out var ms) && ms >= 0) duration = ms;
            else problems.Add(("duration_ms", "must be a non-negative number"));
        }
        var context = new QueryContext(Text("data_source"), Text("schema"), Text("table"), Tags("column_tags"), Tags("table_tags"),
            Tags("classification_tags"), sensitivity, outcome, rows, duration);
        return problems.Count > before ? null : context;
    }

    public static QueryContext FromMetadataJson(string? json)
    {
        if (json is null) return Empty;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object ? Parse(doc.RootElement, []) ?? Empty : Empty;
    }
}
