using Immutable.Domain.Alerts;
using Immutable.Domain;
using Immutable.Domain.Rules;
using Immutable.Web.Storage;

namespace Immutable.Web.Detection;

public static class RuleMapping
{
    public static AlertRule ToDomain(this AlertRuleRecord r)
    {
        var (type, severity) = (r.RuleType, r.Severity);
        return new AlertRule
        {
            Id = r.Id,
            WorkspaceId = r.WorkspaceId,
            Name = r.Name,
            Conditions = RuleCodec.ReadStoredConditions(type, r.Conditions),
            Enabled = r.Enabled,
            Severity = severity,
            Channels = System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.Channels)!
                .Select(c => c == "email" ? Channel.Email : Channel.Webhook).ToList(),
            CooldownMinutes = r.CooldownMinutes,
            CreatedAt = r.CreatedAt,
            UpdatedAt = r.UpdatedAt,
        };
    }
}
