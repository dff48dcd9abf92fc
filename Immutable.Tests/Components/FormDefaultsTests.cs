using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Rules;
using Immutable.Web.Api;
using Immutable.Web.Components.Pages.Monitors;
using Immutable.Web.Components.Pages.Rules;
using Immutable.Web.Detection;
using Immutable.Web.Monitors;

namespace Immutable.Tests.Components;

/// <summary>One truth for defaults: an untouched form saves exactly what the API makes of a request that leaves every field out.</summary>
public sealed class FormDefaultsTests
{
    public static TheoryData<string> RuleTypes => [.. Immutable.Domain.WireName.All<RuleType>()];

    private static RuleDraft ParseRule(JsonObject json)
    {
        var violations = new List<Violation>();
        using var doc = JsonDocument.Parse(json.ToJsonString());
        var draft = RuleCodec.Parse(doc.RootElement, violations);
        Assert.True(draft is not null, string.Join("; ", violations.Select(v => v.Field + " " + v.Message)));
        return draft!;
    }

    [Theory]
    [MemberData(nameof(RuleTypes))]
    public void NewRuleForm_OfEveryType_StartsFromTheDomainDefaults(string ruleType)
    {
        var form = RuleFormModel.New(ruleType);
        form.Name = "Rule";
        // A correlation names its rules: the one field without a default.
        if (ruleType == "correlation") form.CorrelatedRuleIds = ["rul_a", "rul_b"];
        var minimal = new JsonObject { ["name"] = "Rule", ["rule_type"] = ruleType };
        if (ruleType == "correlation") minimal["conditions"] = new JsonObject { ["rule_ids"] = new JsonArray("rul_a", "rul_b") };

        var fromForm = ParseRule(form.ToJson());
        var fromApi = ParseRule(minimal);
        Assert.Equal(RuleCodec.ConditionsJson(fromApi.Conditions).ToJsonString(), RuleCodec.ConditionsJson(fromForm.Conditions).ToJsonString());
        Assert.Equal((fromApi.Severity, fromApi.CooldownMinutes, fromApi.Enabled), (fromForm.Severity, fromForm.CooldownMinutes, fromForm.Enabled));
        Assert.Equal(fromApi.Channels, fromForm.Channels);
    }

    [Fact]
    public void ChoosingAnotherType_ResetsTheSharedFieldsToThatTypesDefaults()
    {
        var form = RuleFormModel.New("repeated_action");
        form.Name = "x";
        form.Threshold = 7;
        form.RuleType = "high_volume_destructive";
        form.UseDefaultsOf(form.RuleType);
        var conditions = (HighVolumeDestructiveConditions)ParseRule(form.ToJson()).Conditions;
        Assert.Equal((new HighVolumeDestructiveConditions().Threshold, new HighVolumeDestructiveConditions().WindowMinutes), (conditions.Threshold, conditions.WindowMinutes));
    }

    [Fact]
    public void NewMonitorForm_StartsFromTheDomainDefaults_NotifyIncluded()
    {
        var form = new MonitorFormModel { Name = "Volume" };
        var thresholds = new JsonArray([.. form.Thresholds.Select(t => (JsonNode)new JsonObject { ["value"] = t.Value, ["severity"] = t.Severity })]);
        // Thresholds are the one required field: the minimal request carries the form's.
        var minimal = new JsonObject { ["name"] = "Volume", ["thresholds"] = thresholds };

        static JsonObject Parse(JsonObject json)
        {
            var violations = new List<Violation>();
            using var doc = JsonDocument.Parse(json.ToJsonString());
            var monitor = MonitorCodec.Parse(doc.RootElement, violations);
            Assert.True(monitor is not null, string.Join("; ", violations.Select(v => v.Field + " " + v.Message)));
            return MonitorCodec.DefinitionJson(monitor!);
        }

        Assert.Equal(Parse(minimal).ToJsonString(), Parse(form.ToJson()).ToJsonString());
        Assert.Equal("each", form.Notify);
    }
}
