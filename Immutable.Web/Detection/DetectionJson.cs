using System.Text.Json;
using System.Text.Json.Serialization;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Domain.Rules;

namespace Immutable.Web.Detection;

/// <summary>The flat event an alert carries (what integrations read as alert.event.actor_name / ip_country).</summary>
public sealed record FlatEvent(
    string Id, string ActorId, string? ActorName, string Action, string? IpAddress, string? IpCountry, string? IpCity,
    string OccurredAt, string? ResourceId, string? SessionId)
{
    public static FlatEvent From(AuditEvent e) => new(
        e.Id.ToString("D"), e.Content.ActorId, e.Content.ActorName, e.Content.Action, e.Content.IpAddress,
        e.Content.Geo.CountryCode, e.Content.Geo.City, Timestamps.ToIso(e.OccurredAt), e.Content.ResourceId, e.Content.SessionId);
}

public static class DetectionJson
{
    /// <summary>snake_case, enums as snake_case strings (rule types, weekdays), nulls kept.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(RuleContext context) => JsonSerializer.Serialize(context, context.GetType(), Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>alt_ + an id derived from workspace, rule and what the alert is about (replays cannot duplicate it).</summary>
    public static string DeterministicAlertId(string workspaceId, string ruleId, string about) =>
        Immutable.Domain.Alerts.RecordIds.Derive("alt_", workspaceId, ruleId, about);
}
