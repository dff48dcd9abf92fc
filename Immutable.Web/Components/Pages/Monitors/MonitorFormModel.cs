using Immutable.Domain;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Monitors;
using Immutable.Web.Api;
using Immutable.Web.Monitors;

namespace Immutable.Web.Components.Pages.Monitors;

/// <summary>The monitor form's state in the API's request shape; <see cref="Validate"/> runs the API's own parser.</summary>
public sealed class MonitorFormModel
{
    public sealed class Threshold
    {
        public double Value { get; set; }
        public string Severity { get; set; } = "medium";
    }

    public string Name { get; set; } = "";
    public bool Enabled { get; set; } = true;
    public string ScopeType { get; set; } = "all";
    public string ScopeValue { get; set; } = "";
    public string Tags { get; set; } = "";
    public string? Sensitivity { get; set; }
    public string? Outcome { get; set; }
    public int? MinDurationMs { get; set; }
    // Unset fields start from the domain's defaults, the ones the API applies when a request leaves them out.
    public string Metric { get; set; } = WireName.Of(ActivityMonitor.DefaultMetric);
    public int TimeframeMinutes { get; set; } = ActivityMonitor.DefaultTimeframeMinutes;
    public List<Threshold> Thresholds { get; set; } = [new() { Value = 100, Severity = "medium" }, new() { Value = 500, Severity = "high" }];
    public string Notify { get; set; } = WireName.Of(ActivityMonitor.DefaultNotify);
    public bool EmailChannel { get; set; }
    public bool WebhookChannel { get; set; }

    public static MonitorFormModel From(JsonNode m)
    {
        var scope = m["scope"];
        var conditions = m["conditions"];
        var channels = (m["channels"] as JsonArray ?? []).Select(c => c!.GetValue<string>()).ToList();
        return new MonitorFormModel
        {
            Name = m["name"]!.GetValue<string>(),
            Enabled = m["enabled"]!.GetValue<bool>(),
            ScopeType = scope?["type"]?.GetValue<string>() ?? "all",
            ScopeValue = scope?["value"]?.GetValue<string>() ?? "",
            Tags = string.Join(", ", (conditions?["tags"] as JsonArray ?? []).Select(t => t!.GetValue<string>())),
            Sensitivity = conditions?["sensitivity"]?.GetValue<string>(),
            Outcome = conditions?["outcome"]?.GetValue<string>(),
            MinDurationMs = conditions?["min_duration_ms"]?.GetValue<int>(),
            Metric = m["metric"]!.GetValue<string>(),
            TimeframeMinutes = m["timeframe_minutes"]!.GetValue<int>(),
            Thresholds = (m["thresholds"] as JsonArray ?? []).Select(t => new Threshold { Value = t!["value"]!.GetValue<double>(), Severity = t["severity"]!.GetValue<string>() }).ToList(),
            Notify = m["notify"]?.GetValue<string>() ?? WireName.Of(ActivityMonitor.DefaultNotify),
            EmailChannel = channels.Contains("email"),
            WebhookChannel = channels.Contains("webhook"),
        };
    }

    public JsonObject ToJson()
    {
        var channels = new JsonArray();
        if (EmailChannel) channels.Add("email");
        if (WebhookChannel) channels.Add("webhook");
        return new JsonObject
        {
            ["name"] = Name,
            ["enabled"] = Enabled,
            ["scope"] = ScopeType == "all" ? new JsonObject { ["type"] = "all" } : new JsonObject { ["type"] = ScopeType, ["value"] = ScopeValue },
            ["conditions"] = new JsonObject
            {
                ["tags"] = new JsonArray([.. Tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode)t)]),
                ["sensitivity"] = Sensitivity,
                ["outcome"] = Outcome,
                ["min_duration_ms"] = MinDurationMs,
            },
            ["metric"] = Metric,
            ["timeframe_minutes"] = TimeframeMinutes,
            ["thresholds"] = new JsonArray([.. Thresholds.Select(t => (JsonNode)new JsonObject { ["value"] = t.Value, ["severity"] = t.Severity })]),
            ["notify"] = Notify,
            ["channels"] = channels,
        };
    }

    public Dictionary<string, string> Validate()
    {
        var violations = new List<Violation>();
        using var doc = JsonDocument.Parse(ToJson().ToJsonString());
        MonitorCodec.Parse(doc.RootElement, violations);
        return Shared.ViolationMap.ByField(violations);
    }
}
