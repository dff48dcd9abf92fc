using Immutable.Domain;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Alerts;
using Immutable.Domain.Rules;
using Immutable.Web.Api;

namespace Immutable.Web.Detection;

/// <summary>A validated rule definition from the API, before it has an id.</summary>
public sealed record RuleDraft(string Name, RuleConditions Conditions, bool Enabled, Severity Severity, IReadOnlyList<Channel> Channels, int CooldownMinutes);

/// <summary>
/// Reads and writes rule definitions in the API's JSON shape, validating every field with a precise path
/// (docs/detection.md). Conditions are strict: an unknown key is a 422, because a typo in a detection rule
/// silently disables what the admin meant to detect.
/// </summary>
public static class RuleCodec
{
    public const int MaxWindowMinutes = 7 * 24 * 60;

    private static readonly Dictionary<RuleType, string[]> AllowedConditionKeys = new()
    {
        [RuleType.NewCountry] = ["action_pattern", "action_patterns"],
        [RuleType.OffHours] = ["action_pattern", "action_patterns", "timezone", "start_hour", "end_hour", "days"],
        [RuleType.RepeatedAction] = ["action_pattern", "action_patterns", "threshold", "window_minutes", "group_by"],
        [RuleType.HighVolumeDestructive] = ["action_pattern", "action_patterns", "threshold", "window_minutes", "per_actor"],
        [RuleType.IngestionSpike] = ["window_minutes", "multiplier", "baseline_days", "min_events"],
        [RuleType.Correlation] = ["rule_ids", "window_minutes"],
        [RuleType.ImpossibleTravel] = ["action_pattern", "action_patterns", "max_speed_kmh", "min_distance_km"],
    };

    public static RuleDraft? Parse(JsonElement root, List<Violation> violations)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new Violation("body", "must be a JSON object"));
            return null;
        }
        var before = violations.Count;
        var name = ReadString(root, "name", violations, required: true, maxLength: 200);
        var typeText = ReadString(root, "rule_type", violations, required: true, maxLength: 64);
        RuleType type = default;
        if (typeText is not null && !WireName.TryParse<RuleType>(typeText, out type))
        {
            violations.Add(new Violation("rule_type", "must be one of " + string.Join(", ", WireName.All<RuleType>())));
            typeText = null;
        }
        var enabled = ReadBool(root, "enabled", violations) ?? true;
        var severity = Severity.Medium;
        if (ReadString(root, "severity", violations, required: false, maxLength: 16) is { } severityText && !WireName.TryParse<Severity>(severityText, out severity))
            violations.Add(new Violation("severity", "must be one of info, low, medium, high, critical"));
        else if (!root.TryGetProperty("severity", out var s) || s.ValueKind == JsonValueKind.Null)
            severity = typeText is null ? Severity.Medium : AlertRule.DefaultSeverity(type);

        var channels = ReadChannels(root, violations);
        var cooldown = ReadInt(root, "cooldown_minutes", violations, 0, MaxWindowMinutes) ?? AlertRule.DefaultCooldownMinutes;

        RuleConditions? conditions = null;
        if (typeText is not null)
        {
            JsonElement c = default;
            var hasConditions = root.TryGetProperty("conditions", out c) && c.ValueKind != JsonValueKind.Null;
            if (hasConditions && c.ValueKind != JsonValueKind.Object) violations.Add(new Violation("conditions", "must be an object"));
            else conditions = ParseConditions(type, hasConditions ? c : (JsonElement?)null, violations);
        }
        if (violations.Count > before || conditions is null || name is null) return null;
        return new RuleDraft(name, conditions, enabled, severity, channels.Distinct().ToList(), cooldown);
    }

    /// <summary>Reads stored conditions (written by <see cref="ConditionsJson"/>), which are always valid.</summary>
    public static RuleConditions ReadStoredConditions(RuleType type, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var violations = new List<Violation>();
        // Stored before the pattern grammar existed, a pattern may not follow it: it still matches as it did.
        return ParseConditions(type, doc.RootElement, violations, checkPatternGrammar: false)
            ?? throw new InvalidOperationException($"Stored {WireName.Of(type)} conditions are invalid: {string.Join("; ", violations.Select(v => v.Field + " " + v.Message))}");
    }

    public static RuleConditions? ParseConditions(RuleType type, JsonElement? conditions, List<Violation> violations, bool checkPatternGrammar = true)
    {
        var before = violations.Count;
        var c = conditions ?? default;
        if (conditions is { } present)
        {
            foreach (var property in present.EnumerateObject())
                if (!AllowedConditionKeys[type].Contains(property.Name))
                    violations.Add(new Violation($"conditions.{property.Name}", $"is not a condition of {WireName.Of(type)} (allowed: {string.Join(", ", AllowedConditionKeys[type])})"));
        }
        JsonElement? Get(string key) => conditions is not null && c.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
        int? Int(string key, int min, int max) => Get(key) is { } v ? IntValue(v, $"conditions.{key}", min, max, violations) : null;
        double? Double(string key, double minExclusive, double max) => Get(key) is { } v ? DoubleValue(v, $"conditions.{key}", minExclusive, max, violations) : null;
        IReadOnlyList<string>? Patterns(IReadOnlyList<string> fallback) => ReadPatterns(Get("action_patterns") ?? Get("action_pattern"), Get("action_patterns") is null ? "conditions.action_pattern" : "conditions.action_patterns", violations, checkPatternGrammar) ?? fallback;

        RuleConditions result;
        switch (type)
        {
            case RuleType.NewCountry:
                result = new NewCountryConditions { ActionPatterns = Patterns(new NewCountryConditions().ActionPatterns)! };
                break;
            case RuleType.OffHours:
            {
                var d = new OffHoursConditions();
                var zone = d.TimeZone;
                if (Get("timezone") is { } z)
                {
                    if (z.ValueKind != JsonValueKind.String) violations.Add(new Violation("conditions.timezone", "must be an IANA time zone name, e.g. America/New_York"));
                    else if (!IsKnownTimeZone(z.GetString()!)) violations.Add(new Violation("conditions.timezone", $"'{z.GetString()}' is not a known IANA time zone (e.g. America/New_York, Europe/Bucharest, UTC)"));
                    else zone = z.GetString()!;
                }
                result = d with
                {
                    ActionPatterns = Patterns(d.ActionPatterns)!,
                    TimeZone = zone,
                    StartHour = Int("start_hour", 0, 23) ?? d.StartHour,
                    EndHour = Int("end_hour", 0, 23) ?? d.EndHour,
                    Days = ReadDays(Get("days"), violations),
                };
                break;
            }
            case RuleType.RepeatedAction:
            {
                var d = new RepeatedActionConditions();
                var groupBy = d.GroupBy;
                if (Get("group_by") is { } g)
                {
                    var text = g.ValueKind == JsonValueKind.String ? g.GetString()! : "";
                    if (text is "actor_id" or "ip_address" || (text.StartsWith("metadata.", StringComparison.Ordinal) && text.Length > "metadata.".Length)) groupBy = text;
                    else violations.Add(new Violation("conditions.group_by", "must be actor_id, ip_address or metadata.<key>"));
                }
                result = d with
                {
                    ActionPatterns = Patterns(d.ActionPatterns)!,
                    Threshold = Int("threshold", 1, 1_000_000) ?? d.Threshold,
                    WindowMinutes = Int("window_minutes", 1, MaxWindowMinutes) ?? d.WindowMinutes,
                    GroupBy = groupBy,
                };
                break;
            }
            case RuleType.HighVolumeDestructive:
            {
                var d = new HighVolumeDestructiveConditions();
                bool? perActor = null;
                if (Get("per_actor") is { } p)
                {
                    if (p.ValueKind is JsonValueKind.True or JsonValueKind.False) perActor = p.GetBoolean();
                    else violations.Add(new Violation("conditions.per_actor", "must be true or false"));
                }
                result = d with
                {
                    ActionPatterns = Patterns(d.ActionPatterns)!,
                    Threshold = Int("threshold", 1, 1_000_000) ?? d.Threshold,
                    WindowMinutes = Int("window_minutes", 1, MaxWindowMinutes) ?? d.WindowMinutes,
                    PerActor = perActor ?? d.PerActor,
                };
                break;
            }
            case RuleType.IngestionSpike:
            {
                var d = new IngestionSpikeConditions();
                result = d with
                {
                    WindowMinutes = Int("window_minutes", 1, 24 * 60) ?? d.WindowMinutes,
                    Multiplier = Double("multiplier", 1, 1_000_000) ?? d.Multiplier,
                    BaselineDays = Int("baseline_days", 1, 365) ?? d.BaselineDays,
                    MinEvents = Int("min_events", 1, int.MaxValue) ?? d.MinEvents,
                };
                break;
            }
            case RuleType.Correlation:
            {
                var d = new CorrelationConditions();
                var ids = new List<string>();
                if (Get("rule_ids") is not { } r || r.ValueKind != JsonValueKind.Array)
                    violations.Add(new Violation("conditions.rule_ids", "must be an array of at least 2 rule ids"));
                else
                {
                    var i = 0;
                    foreach (var item in r.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.String || !(item.GetString() ?? "").StartsWith("rul_", StringComparison.Ordinal))
                            violations.Add(new Violation($"conditions.rule_ids[{i}]", "must be a rule id (rul_...)"));
                        else ids.Add(item.GetString()!);
                        i++;
                    }
                    if (ids.Distinct(StringComparer.Ordinal).Count() < 2 && violations.Count == before)
                        violations.Add(new Violation("conditions.rule_ids", "must name at least 2 different rules"));
                }
                result = d with { RuleIds = ids.Distinct(StringComparer.Ordinal).ToList(), WindowMinutes = Int("window_minutes", 1, MaxWindowMinutes) ?? d.WindowMinutes };
                break;
            }
            case RuleType.ImpossibleTravel:
            {
                var d = new ImpossibleTravelConditions();
                var minDistance = Get("min_distance_km") is { } md ? DoubleValue(md, "conditions.min_distance_km", -1e-9, 40_100, violations) : null;
                result = d with
                {
                    ActionPatterns = Patterns(d.ActionPatterns)!,
                    MaxSpeedKmh = Double("max_speed_kmh", 0, 1_000_000) ?? d.MaxSpeedKmh,
                    MinDistanceKm = minDistance ?? d.MinDistanceKm,
                };
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
        return violations.Count > before ? null : result;
    }

    /// <summary>The conditions as the API returns and the store keeps them: every field, defaults filled in.</summary>
    public static JsonObject ConditionsJson(RuleConditions conditions) => conditions switch
    {
        NewCountryConditions c => new JsonObject { ["action_patterns"] = Array(c.ActionPatterns) },
        OffHoursConditions c => new JsonObject
        {
            ["action_patterns"] = Array(c.ActionPatterns), ["timezone"] = c.TimeZone, ["start_hour"] = c.StartHour,
            ["end_hour"] = c.EndHour, ["days"] = Array(c.Days.Select(d => d.ToString().ToLowerInvariant())),
        },
        RepeatedActionConditions c => new JsonObject
        {
            ["action_patterns"] = Array(c.ActionPatterns), ["threshold"] = c.Threshold, ["window_minutes"] = c.WindowMinutes, ["group_by"] = c.GroupBy,
        },
        HighVolumeDestructiveConditions c => new JsonObject
        {
            ["action_patterns"] = Array(c.ActionPatterns), ["threshold"] = c.Threshold, ["window_minutes"] = c.WindowMinutes, ["per_actor"] = c.PerActor,
        },
        IngestionSpikeConditions c => new JsonObject
        {
            ["window_minutes"] = c.WindowMinutes, ["multiplier"] = c.Multiplier, ["baseline_days"] = c.BaselineDays, ["min_events"] = c.MinEvents,
        },
        CorrelationConditions c => new JsonObject { ["rule_ids"] = Array(c.RuleIds), ["window_minutes"] = c.WindowMinutes },
        ImpossibleTravelConditions c => new JsonObject
        {
            ["action_patterns"] = Array(c.ActionPatterns), ["max_speed_kmh"] = c.MaxSpeedKmh, ["min_distance_km"] = c.MinDistanceKm,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(conditions)),
    };

    /// <summary>The optional <c>channels</c> array of a rule or monitor: "email" and/or "webhook".</summary>
    public static List<Channel> ReadChannels(JsonElement root, List<Violation> violations)
    {
        var channels = new List<Channel>();
        if (!root.TryGetProperty("channels", out var ch) || ch.ValueKind == JsonValueKind.Null) return channels;
        if (ch.ValueKind != JsonValueKind.Array)
        {
            violations.Add(new Violation("channels", "must be an array of \"email\" and/or \"webhook\""));
            return channels;
        }
        var i = 0;
        foreach (var item in ch.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (text == "email") channels.Add(Channel.Email);
            else if (text == "webhook") channels.Add(Channel.Webhook);
            else violations.Add(new Violation($"channels[{i}]", "must be \"email\" or \"webhook\""));
            i++;
        }
        return channels;
    }

    public static bool IsKnownTimeZone(string id) =>
        id.Length > 0 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && (zone.HasIanaId || id == "UTC");

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static List<string>? ReadPatterns(JsonElement? value, string field, List<Violation> violations, bool checkGrammar)
    {
        if (value is not { } v) return null;
        var before = violations.Count;
        var patterns = new List<string>();
        if (v.ValueKind == JsonValueKind.String) patterns.Add(v.GetString()!);
        else if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in v.EnumerateArray())
                if (item.ValueKind == JsonValueKind.String) patterns.Add(item.GetString()!);
                else violations.Add(new Violation(field, "must be a string or an array of strings"));
        }
        else violations.Add(new Violation(field, "must be a string or an array of strings"));
        if (patterns.Count == 0 && violations.Count == before)
        {
            violations.Add(new Violation(field, "must hold at least one action pattern (e.g. auth.login, auth.*, *.deleted)"));
            return null;
        }
        // One grammar for every pattern (Immutable.Domain.Rules.ActionPattern): a malformed pattern never matches what
        // the admin meant, so it is refused with its position instead of silently detecting nothing.
        for (var i = 0; i < patterns.Count; i++)
        {
            var problem = checkGrammar ? ActionPattern.Problem(patterns[i]) : patterns[i].Length is 0 or > ActionPattern.MaxLength ? ActionPattern.Allowed : null;
            if (problem is not null)
                violations.Add(new Violation(v.ValueKind == JsonValueKind.Array ? $"{field}[{i}]" : field, problem));
        }
        return violations.Count > before ? null : patterns;
    }

    private static List<DayOfWeek> ReadDays(JsonElement? value, List<Violation> violations)
    {
        var days = new List<DayOfWeek>();
        if (value is not { } v) return days;
        if (v.ValueKind != JsonValueKind.Array)
        {
            violations.Add(new Violation("conditions.days", "must be an array of weekday names"));
            return days;
        }
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim().ToLowerInvariant() : "";
            var match = Enum.GetValues<DayOfWeek>().Where(d => text.Length >= 3 && d.ToString().ToLowerInvariant().StartsWith(text, StringComparison.Ordinal)).ToList();
            if (match.Count == 1) days.Add(match[0]);
            else violations.Add(new Violation($"conditions.days[{i}]", "must be a weekday name (monday … sunday)"));
            i++;
        }
        return days.Distinct().ToList();
    }

    private static string? ReadString(JsonElement root, string field, List<Violation> violations, bool required, int maxLength)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) violations.Add(new Violation(field, "is required"));
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            violations.Add(new Violation(field, "must be a string"));
            return null;
        }
        var text = v.GetString()!.Trim();
        if (text.Length == 0 || text.Length > maxLength)
        {
            violations.Add(new Violation(field, $"must be 1 to {maxLength} characters"));
            return null;
        }
        return text;
    }

    private static bool? ReadBool(JsonElement root, string field, List<Violation> violations)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        violations.Add(new Violation(field, "must be true or false"));
        return null;
    }

    private static int? ReadInt(JsonElement root, string field, List<Violation> violations, int min, int max) =>
        root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? IntValue(v, field, min, max, violations) : null;

    private static int? IntValue(JsonElement v, string field, int min, int max, List<Violation> violations)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max) return n;
        violations.Add(new Violation(field, string.Create(CultureInfo.InvariantCulture, $"must be an integer from {min} to {max}")));
        return null;
    }

    private static double? DoubleValue(JsonElement v, string field, double minExclusive, double max, List<Violation> violations)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) && n > minExclusive && n <= max) return n;
        violations.Add(new Violation(field, string.Create(CultureInfo.InvariantCulture, $"must be a number greater than {Math.Max(0, minExclusive)} and at most {max}")));
        return null;
    }
}
