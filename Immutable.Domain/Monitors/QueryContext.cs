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
    public static QueryContext? Parse(JsonElement metadata, List<(string Key, string Message)> problems) =>
        Read(metadata, problems);

    /// <summary>
    /// Monitors parse the metadata of every query event they evaluate, so this path allocates little: no closures, tag
    /// arrays of their exact size, and the short recurring texts (tags, data sources, schemas) shared through
    /// <see cref="JsonStrings"/>. Without a problem list a wrong value only makes the result null.
    /// </summary>
    private static QueryContext? Read(JsonElement metadata, List<(string Key, string Message)>? problems)
    {
        var failed = false;
        Sensitivity? sensitivity = null;
        if (Text(metadata, "sensitivity", ref failed, problems) is { } s)
        {
            if (WireName.TryParse<Sensitivity>(s, out var parsed)) sensitivity = parsed;
            else Fail(ref failed, problems, "sensitivity", "must be non_sensitive, sensitive or highly_sensitive");
        }
        QueryOutcome? outcome = null;
        if (Text(metadata, "outcome", ref failed, problems) is { } o)
        {
            if (WireName.TryParse<QueryOutcome>(o, out var parsed)) outcome = parsed;
            else Fail(ref failed, problems, "outcome", "must be success, unauthorized or failure");
        }
        long? rows = null;
        if (metadata.TryGetProperty("rows"u8, out var r) && r.ValueKind != JsonValueKind.Null)
        {
            if (r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var n) && n >= 0) rows = n;
            else Fail(ref failed, problems, "rows", "must be a non-negative integer");
        }
        double? duration = null;
        if (metadata.TryGetProperty("duration_ms"u8, out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind == JsonValueKind.Number && d.TryGetDouble(out var ms) && ms >= 0) duration = ms;
            else Fail(ref failed, problems, "duration_ms", "must be a non-negative number");
        }
        // After the checks above, as problems have always been listed.
        var dataSource = Text(metadata, "data_source", ref failed, problems);
        var schema = Text(metadata, "schema", ref failed, problems);
        var table = Text(metadata, "table", ref failed, problems);
        var columnTags = Tags(metadata, "column_tags", ref failed, problems);
        var tableTags = Tags(metadata, "table_tags", ref failed, problems);
        var classificationTags = Tags(metadata, "classification_tags", ref failed, problems);
        return failed ? null : new QueryContext(dataSource, schema, table, columnTags, tableTags, classificationTags, sensitivity, outcome, rows, duration);
    }

    private static string? Text(JsonElement metadata, string key, ref bool failed, List<(string Key, string Message)>? problems)
    {
        if (!metadata.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return JsonStrings.Get(v);
        Fail(ref failed, problems, key, "must be a string");
        return null;
    }

    private static string[] Tags(JsonElement metadata, string key, ref bool failed, List<(string Key, string Message)>? problems)
    {
        if (!metadata.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind == JsonValueKind.Array)
        {
            var length = v.GetArrayLength();
            if (length == 0) return [];
            var tags = new string[length];
            var i = 0;
            foreach (var t in v.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String) break;
                tags[i++] = JsonStrings.Get(t);
            }
            if (i == length) return tags;
        }
        Fail(ref failed, problems, key, "must be an array of strings");
        return [];
    }

    private static void Fail(ref bool failed, List<(string Key, string Message)>? problems, string key, string message)
    {
        failed = true;
        problems?.Add((key, message));
    }

    public static QueryContext FromMetadataJson(string? json)
    {
        if (json is null) return Empty;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object ? Read(doc.RootElement, null) ?? Empty : Empty;
    }
}
