using Immutable.Domain;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Detection;

namespace Immutable.Web.Components.Pages.Rules;

/// <summary>
/// The rule form's state: every field of every rule type, of which <see cref="ToJson"/> sends only those of the chosen
/// type, in the API's own request shape. <see cref="Validate"/> runs the API's parser locally, so the form shows the
/// same messages inline, as you type, that saving would return.
/// </summary>
public sealed class RuleFormModel
{
    // Field defaults and UseDefaultsOf come from the domain's condition records, the defaults the API applies when a
    // request leaves a field out; several types share a field (threshold, window) with different defaults.
    private static readonly OffHoursConditions OffHours = new();
    private static readonly RepeatedActionConditions Repeated = new();
    private static readonly HighVolumeDestructiveConditions Destructive = new();
    private static readonly IngestionSpikeConditions Spike = new();
    private static readonly ImpossibleTravelConditions Travel = new();

    public string Name { get; set; } = "";
    public string RuleType { get; set; } = WireName.Of(Immutable.Domain.Rules.RuleType.NewCountry);
    public bool Enabled { get; set; } = true;
    /// <summary>Null: the rule type's default severity (<see cref="AlertRule.DefaultSeverity"/>), chosen by the API.</summary>
    public string? Severity { get; set; }
    public int CooldownMinutes { get; set; } = AlertRule.DefaultCooldownMinutes;
    public bool EmailChannel { get; set; }
    public bool WebhookChannel { get; set; }

    /// <summary>Empty: the rule type's default patterns, applied by the API.</summary>
    public string ActionPatterns { get; set; } = "";
    public string TimeZone { get; set; } = OffHours.TimeZone;
    public int StartHour { get; set; } = OffHours.StartHour;
    public int EndHour { get; set; } = OffHours.EndHour;
    /// <summary>Weekdays that are off-hours all day (e.g. Saturday and Sunday).</summary>
    public HashSet<DayOfWeek> Days { get; set; } = [.. OffHours.Days];
    public int Threshold { get; set; } = Repeated.Threshold;
    public int WindowMinutes { get; set; } = Repeated.WindowMinutes;
    public string GroupBy { get; set; } = Repeated.GroupBy;
    public bool PerActor { get; set; } = Destructive.PerActor;
    public double Multiplier { get; set; } = Spike.Multiplier;
    public int BaselineDays { get; set; } = Spike.BaselineDays;
    public int MinEvents { get; set; } = Spike.MinEvents;
    public List<string> CorrelatedRuleIds { get; set; } = [];
    public double MaxSpeedKmh { get; set; } = Travel.MaxSpeedKmh;
    public double MinDistanceKm { get; set; } = Travel.MinDistanceKm;

    /// <summary>A new rule's form for <paramref name="ruleType"/>, with that type's defaults.</summary>
    public static RuleFormModel New(string ruleType = "new_country")
    {
        var model = new RuleFormModel { RuleType = ruleType };
        model.UseDefaultsOf(ruleType);
        return model;
    }

    /// <summary>Sets the fields shared by several rule types to <paramref name="ruleType"/>'s defaults (when the type is chosen).</summary>
    public void UseDefaultsOf(string ruleType)
    {
        switch (WireName.Parse<RuleType>(ruleType))
        {
            case Immutable.Domain.Rules.RuleType.RepeatedAction:
                (Threshold, WindowMinutes) = (Repeated.Threshold, Repeated.WindowMinutes);
                break;
            case Immutable.Domain.Rules.RuleType.HighVolumeDestructive:
                (Threshold, WindowMinutes) = (Destructive.Threshold, Destructive.WindowMinutes);
                break;
            case Immutable.Domain.Rules.RuleType.IngestionSpike:
                WindowMinutes = Spike.WindowMinutes;
                break;
            case Immutable.Domain.Rules.RuleType.Correlation:
                WindowMinutes = new CorrelationConditions().WindowMinutes;
                break;
            case Immutable.Domain.Rules.RuleType.NewCountry:
            case Immutable.Domain.Rules.RuleType.OffHours:
            case Immutable.Domain.Rules.RuleType.ImpossibleTravel:
                break; // no field shared with another type
        }
    }

    public static RuleFormModel From(RuleJson rule)
    {
        var m = new RuleFormModel
        {
            Name = rule.Name,
            RuleType = rule.RuleType,
            Enabled = rule.Enabled,
            Severity = rule.Severity,
            CooldownMinutes = rule.CooldownMinutes,
            EmailChannel = rule.Channels.Contains("email"),
            WebhookChannel = rule.Channels.Contains("webhook"),
        };
        var c = rule.Conditions;
        if (c["action_patterns"] is JsonArray patterns) m.ActionPatterns = string.Join(", ", patterns.Select(p => p!.GetValue<string>()));
        if (c["timezone"] is { } tz) m.TimeZone = tz.GetValue<string>();
        if (c["start_hour"] is { } sh) m.StartHour = sh.GetValue<int>();
        if (c["end_hour"] is { } eh) m.EndHour = eh.GetValue<int>();
        if (c["days"] is JsonArray days) m.Days = [.. days.Select(d => Enum.Parse<DayOfWeek>(d!.GetValue<string>(), ignoreCase: true))];
        if (c["threshold"] is { } th) m.Threshold = th.GetValue<int>();
        if (c["window_minutes"] is { } wm) m.WindowMinutes = wm.GetValue<int>();
        if (c["group_by"] is { } gb) m.GroupBy = gb.GetValue<string>();
        if (c["per_actor"] is { } pa) m.PerActor = pa.GetValue<bool>();
        if (c["multiplier"] is { } mu) m.Multiplier = mu.GetValue<double>();
        if (c["baseline_days"] is { } bd) m.BaselineDays = bd.GetValue<int>();
        if (c["min_events"] is { } me) m.MinEvents = me.GetValue<int>();
        if (c["rule_ids"] is JsonArray ids) m.CorrelatedRuleIds = ids.Select(i => i!.GetValue<string>()).ToList();
        if (c["max_speed_kmh"] is { } ms) m.MaxSpeedKmh = ms.GetValue<double>();
        if (c["min_distance_km"] is { } md) m.MinDistanceKm = md.GetValue<double>();
        return m;
    }

    public JsonObject ToJson()
    {
        var channels = new JsonArray();
        if (EmailChannel) channels.Add("email");
        if (WebhookChannel) channels.Add("webhook");
        var rule = new JsonObject
        {
            ["name"] = Name,
            ["rule_type"] = RuleType,
            ["enabled"] = Enabled,
            ["cooldown_minutes"] = CooldownMinutes,
            ["channels"] = channels,
            ["conditions"] = Conditions(),
        };
        if (!string.IsNullOrEmpty(Severity)) rule["severity"] = Severity;
        return rule;
    }

    /// <summary>
    /// The comma-separated patterns as sent; an empty item between commas is kept (and refused by the grammar with
    /// its position) rather than dropped silently. A trailing comma is the only thing ignored.
    /// </summary>
    public List<string> PatternList()
    {
        var items = ActionPatterns.Split(',', StringSplitOptions.TrimEntries).ToList();
        while (items.Count > 0 && items[^1].Length == 0) items.RemoveAt(items.Count - 1);
        return items;
    }

    private JsonObject Conditions()
    {
        JsonArray Patterns() => [.. PatternList().Select(p => (JsonNode)p)];
        var c = new JsonObject();
        switch (RuleType)
        {
            case "new_country":
                if (ActionPatterns.Trim().Length > 0) c["action_patterns"] = Patterns();
                break;
            case "off_hours":
                if (ActionPatterns.Trim().Length > 0) c["action_patterns"] = Patterns();
                c["timezone"] = TimeZone;
                c["start_hour"] = StartHour;
                c["end_hour"] = EndHour;
                c["days"] = new JsonArray([.. Enum.GetValues<DayOfWeek>().Where(Days.Contains).Select(d => (JsonNode)d.ToString().ToLowerInvariant())]);
                break;
            case "repeated_action":
                if (ActionPatterns.Trim().Length > 0) c["action_patterns"] = Patterns();
                c["threshold"] = Threshold;
                c["window_minutes"] = WindowMinutes;
                c["group_by"] = GroupBy;
                break;
            case "high_volume_destructive":
                if (ActionPatterns.Trim().Length > 0) c["action_patterns"] = Patterns();
                c["threshold"] = Threshold;
                c["window_minutes"] = WindowMinutes;
                c["per_actor"] = PerActor;
                break;
            case "ingestion_spike":
                c["window_minutes"] = WindowMinutes;
                c["multiplier"] = Multiplier;
                c["baseline_days"] = BaselineDays;
                c["min_events"] = MinEvents;
                break;
            case "correlation":
                c["rule_ids"] = new JsonArray([.. CorrelatedRuleIds.Select(id => (JsonNode)id)]);
                c["window_minutes"] = WindowMinutes;
                break;
            case "impossible_travel":
                if (ActionPatterns.Trim().Length > 0) c["action_patterns"] = Patterns();
                c["max_speed_kmh"] = MaxSpeedKmh;
                c["min_distance_km"] = MinDistanceKm;
                break;
        }
        return c;
    }

    /// <summary>The API parser's violations for the current values, keyed by field ("conditions.start_hour").</summary>
    public Dictionary<string, string> Validate()
    {
        var violations = new List<Violation>();
        using var doc = JsonDocument.Parse(ToJson().ToJsonString());
        RuleCodec.Parse(doc.RootElement, violations);
        return Shared.ViolationMap.ByField(violations);
    }

    /// <summary>
    /// Plain-language reading of an off-hours window, so "22 → 6" is never a puzzle: the window wraps midnight when the
    /// start is after the end, and the end hour is exclusive.
    /// </summary>
    public static string OffHoursHelp(int start, int end, string timeZone)
    {
        static string H(int h) => h.ToString("00", CultureInfo.InvariantCulture);
        var last = (end + 23) % 24;
        if (start == end) return $"{H(start)} → {H(end)} means no hours are off-hours in {timeZone}: only the whole days ticked below are.";
        return start < end
            ? $"{H(start)} → {H(end)} means {H(start)}:00–{H(last)}:59 in {timeZone}, the same day."
            : $"{H(start)} → {H(end)} means {H(start)}:00–{H(last)}:59 in {timeZone}, wrapping past midnight into the next day.";
    }

    public static string Describe(string ruleType) => ruleType switch
    {
        "new_country" => "Alerts the first time an actor is seen acting from a country not seen for them before (their first country never alerts).",
        "off_hours" => "Alerts on activity inside a window of hours (and days) in a time zone, e.g. logins at night.",
        "repeated_action" => "Alerts when the same action repeats at least N times in a sliding window for one group (brute force).",
        "high_volume_destructive" => "Alerts on bursts of destructive actions (*.deleted, *.removed by default).",
        "ingestion_spike" => "Alerts when the workspace's event volume in a window exceeds its usual level for that hour of the week.",
        "correlation" => "Escalates when several of the chosen rules fire for the same actor within a window.",
        "impossible_travel" => "Alerts when consecutive events of an actor are too far apart for the time between them.",
        _ => "",
    };

    public static IReadOnlyList<string> Types => [.. WireName.All<RuleType>()];

    /// <summary>A rule type as people say it; the wire name stays in the API and in a tooltip.</summary>
    public static string TypeLabel(string ruleType) => ruleType switch
    {
        "new_country" => "New country",
        "off_hours" => "Off hours",
        "repeated_action" => "Repeated action (brute force)",
        "high_volume_destructive" => "Mass deletion",
        "ingestion_spike" => "Ingestion spike",
        "correlation" => "Correlation of rules",
        "impossible_travel" => "Impossible travel",
        _ => ruleType,
    };
}
