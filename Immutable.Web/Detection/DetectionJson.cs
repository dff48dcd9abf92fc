using System.Security.Cryptography;
using System.Text;
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

    /// <summary>
    /// alt_ + a name-based UUID (version 5 layout) of workspace, rule and what the alert is about, so evaluating the
    /// same event twice yields the same id and the unique index refuses the second copy.
    /// </summary>
    public static string DeterministicAlertId(string workspaceId, string ruleId, string about)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{workspaceId}\n{ruleId}\n{about}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return "alt_" + new Guid(bytes, bigEndian: true).ToString("D");
    }
}
