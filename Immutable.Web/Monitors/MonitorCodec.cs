using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Domain.Monitors;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Detection;

namespace Immutable.Web.Monitors;

/// <summary>Reads and validates monitor definitions (API and store), and writes their normalised JSON.</summary>
public static class MonitorCodec
{
    public const int MaxTimeframeMinutes = 30 * 24 * 60;
    private static readonly string[] ConditionKeys = ["tags", "sensitivity", "outcome", "min_duration_ms"];

    /// <summary>Parses a definition; the id and workspace are filled in by the caller.</summary>
    public static ActivityMonitor? Parse(JsonElement root, List<Violation> violations)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new Violation("body", "must be a JSON object"));
            return null;
        }
        var before = violations.Count;
        JsonElement? Get(JsonElement obj, string key) => obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        string? Text(JsonElement obj, string key, string field, bool required = false)
        {
            if (Get(obj, key) is not { } v)
            {
                if (required) violations.Add(new Violation(field, "is required"));
                return null;
            }
            if (v.ValueKind == JsonValueKind.String && v.GetString()!.Trim().Length is > 0 and <= 200) return v.GetString()!.Trim();
            violations.Add(new Violation(field, "must be a string of 1 to 200 characters"));
            return null;
        }
        T Enum<T>(string? text, string field, T fallback) where T : struct, System.Enum
        {
            if (text is null) return fallback;
            if (WireName.TryParse<T>(text, out var value)) return value;
            violations.Add(new Violation(field, "must be one of " + string.Join(", ", WireName.All<T>())));
            return fallback;
        }

        var name = Text(root, "name", "name", required: true);
        var enabled = true;
        if (Get(root, "enabled") is { } e)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) enabled = e.GetBoolean();
            else violations.Add(new Violation("enabled", "must be true or false"));
        }

        var scope = MonitorScope.All;
        if (Get(root, "scope") is { } s)
        {
            if (s.ValueKind != JsonValueKind.Object) violations.Add(new Violation("scope", "must be an object like {\"type\":\"schema\",\"value\":\"prod\"}"));
            else
            {
                var type = Enum(Text(s, "type", "scope.type", required: true), "scope.type", ScopeType.All);
                var value = Get(s, "value") is null ? null : Text(s, "value", "scope.value");
                if (type == ScopeType.All && value is not null) violations.Add(new Violation("scope.value", "must be absent when scope.type is all"));
                if (type != ScopeType.All && value is null && Get(s, "value") is null) violations.Add(new Violation("scope.value", $"is required when scope.type is {WireName.Of(type)}"));
                scope = new MonitorScope(type, type == ScopeType.All ? null : value);
            }
        }

        var conditions = MonitorConditions.None;
        if (Get(root, "conditions") is { } c)
        {
            if (c.ValueKind != JsonValueKind.Object) violations.Add(new Violation("conditions", "must be an object"));
            else
            {
                foreach (var p in c.EnumerateObject())
                    if (!ConditionKeys.Contains(p.Name)) violations.Add(new Violation($"conditions.{p.Name}", "is not a monitor condition (allowed: " + string.Join(", ", ConditionKeys) + ")"));
                var tags = new List<string>();
                if (Get(c, "tags") is { } t)
                {
                    if (t.ValueKind != JsonValueKind.Array || t.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(x.GetString())))
                        violations.Add(new Violation("conditions.tags", "must be an array of non-empty strings"));
                    else tags = t.EnumerateArray().Select(x => x.GetString()!.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                }
                Sensitivity? sensitivity = null;
                if (Text(c, "sensitivity", "conditions.sensitivity") is { } st)
                {
                    if (st == "sensitive") sensitivity = Sensitivity.Sensitive;
                    else if (st == "highly_sensitive") sensitivity = Sensitivity.HighlySensitive;
                    else violations.Add(new Violation("conditions.sensitivity", "must be sensitive (sensitive or highly sensitive) or highly_sensitive"));
                }
                QueryOutcome? outcome = null;
                if (Text(c, "outcome", "conditions.outcome") is { } ot)
                {
                    if (WireName.TryParse<QueryOutcome>(ot, out var parsed)) outcome = parsed;
                    else violations.Add(new Violation("conditions.outcome", "must be success, unauthorized or failure"));
                }
                double? minDuration = null;
                if (Get(c, "min_duration_ms") is { } md)
                {
                    if (md.ValueKind == JsonValueKind.Number && md.GetDouble() >= 0) minDuration = md.GetDouble();
                    else violations.Add(new Violation("conditions.min_duration_ms", "must be a non-negative number"));
                }
                conditions = new MonitorConditions(tags, sensitivity, outcome, minDuration);
            }
        }

        var metric = Enum(Text(root, "metric", "metric"), "metric", ActivityMonitor.DefaultMetric);
        var timeframe = ActivityMonitor.DefaultTimeframeMinutes;
        if (Get(root, "timeframe_minutes") is { } tf)
        {
            if (tf.ValueKind == JsonValueKind.Number && tf.TryGetInt32(out var minutes) && minutes > 0 && minutes % ActivityMonitor.StepMinutes == 0 && minutes <= MaxTimeframeMinutes)
                timeframe = minutes;
            else violations.Add(new Violation("timeframe_minutes", string.Create(CultureInfo.InvariantCulture, $"must be a positive multiple of 10 minutes, at most {MaxTimeframeMinutes} (e.g. 60, 1440, 10080)")));
        }

        var thresholds = new List<Threshold>();
        if (Get(root, "thresholds") is not { ValueKind: JsonValueKind.Array } th || th.GetArrayLength() is 0 or > 5)
            violations.Add(new Violation("thresholds", "must be an array of 1 to 5 {\"value\", \"severity\"} objects"));
        else
        {
            var i = 0;
            foreach (var item in th.EnumerateArray())
            {
                var path = $"thresholds[{i++}]";
                if (item.ValueKind != JsonValueKind.Object) { violations.Add(new Violation(path, "must be an object")); continue; }
                double? value = Get(item, "value") is { ValueKind: JsonValueKind.Number } v && v.GetDouble() >= 0 ? v.GetDouble() : null;
                if (value is null) violations.Add(new Violation(path + ".value", "must be a non-negative number"));
                var severityText = Text(item, "severity", path + ".severity", required: true);
                if (severityText is not null && !WireName.TryParse<Severity>(severityText, out _))
                    violations.Add(new Violation(path + ".severity", "must be info, low, medium, high or critical"));
                if (value is { } val && WireName.TryParse<Severity>(severityText, out var severity)) thresholds.Add(new Threshold(val, severity));
            }
            for (var k = 1; k < thresholds.Count; k++)
            {
                if (thresholds[k].Value <= thresholds[k - 1].Value || thresholds[k].Severity <= thresholds[k - 1].Severity)
                {
                    violations.Add(new Violation($"thresholds[{k}]", "thresholds must increase strictly in value and in severity (e.g. 100 low, 1000 high)"));
                    break;
                }
            }
        }

        var notify = Enum(Text(root, "notify", "notify"), "notify", ActivityMonitor.DefaultNotify);
        var channels = RuleCodec.ReadChannels(root, violations);
        if (violations.Count > before || name is null) return null;
        return new ActivityMonitor
        {
            Id = "",
            WorkspaceId = "",
            Name = name,
            Enabled = enabled,
            Scope = scope,
            Conditions = conditions,
            Metric = metric,
            TimeframeMinutes = timeframe,
            Thresholds = thresholds,
            Notify = notify,
            Channels = channels.Distinct().ToList(),
        };
    }

    /// <summary>The definition as stored and returned (without id and times): every field, defaults filled in.</summary>
    public static JsonObject DefinitionJson(ActivityMonitor m) => new()
    {
        ["name"] = m.Name,
        ["enabled"] = m.Enabled,
        ["scope"] = m.Scope.Type == ScopeType.All ? new JsonObject { ["type"] = "all" } : new JsonObject { ["type"] = WireName.Of(m.Scope.Type), ["value"] = m.Scope.Value },
        ["conditions"] = new JsonObject
        {
            ["tags"] = new JsonArray(m.Conditions.Tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["sensitivity"] = m.Conditions.Sensitivity is { } s ? WireName.Of(s) : null,
            ["outcome"] = m.Conditions.Outcome is { } o ? WireName.Of(o) : null,
            ["min_duration_ms"] = m.Conditions.MinDurationMs,
        },
        ["metric"] = WireName.Of(m.Metric),
        ["timeframe_minutes"] = m.TimeframeMinutes,
        ["thresholds"] = new JsonArray(m.Thresholds.Select(t => (JsonNode?)new JsonObject { ["value"] = t.Value, ["severity"] = WireName.Of(t.Severity) }).ToArray()),
        ["notify"] = WireName.Of(m.Notify),
        ["channels"] = new JsonArray(m.Channels.Select(c => (JsonNode?)JsonValue.Create(c == Channel.Email ? "email" : "webhook")).ToArray()),
    };

    public static ActivityMonitor ToDomain(this Storage.MonitorRecord r)
    {
        using var doc = JsonDocument.Parse(r.Definition);
        var violations = new List<Violation>();
        var m = Parse(doc.RootElement, violations) ?? throw new InvalidOperationException($"Stored monitor {r.Id} is invalid: {string.Join("; ", violations.Select(v => v.Field + " " + v.Message))}");
        return m with { Id = r.Id, WorkspaceId = r.WorkspaceId, Enabled = r.Enabled };
    }
}
