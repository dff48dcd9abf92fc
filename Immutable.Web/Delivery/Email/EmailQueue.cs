using Immutable.Domain;
using System.Text.Json;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;

namespace Immutable.Web.Delivery.Email;

/// <summary>Queues findings for email inside the caller's transaction (the one that stores them).</summary>
public static class EmailQueue
{
    public static void Alerts(ImmutableDbContext db, IEnumerable<AlertRecord> alerts, string publicUrl, DateTime now)
    {
        foreach (var a in alerts)
        {
            var e = a.Event is null ? default : JsonDocument.Parse(a.Event).RootElement;
            string? Text(string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            db.EmailItems.Add(new EmailItemRecord
            {
                WorkspaceId = a.WorkspaceId, Kind = "alert", RecordId = a.Id, Severity = WireName.Of(a.Severity), Title = $"{a.RuleName} ({WireName.Of(a.RuleType)})",
                Reason = a.Reason, Actor = a.ActorId == "*" ? null : Text("actor_name") is { } name ? $"{name} ({a.ActorId})" : a.ActorId,
                Country = Text("ip_country"), Link = publicUrl.TrimEnd('/') + "/alerts/" + a.Id, CreatedAt = now,
            });
        }
    }

    public static void Observations(ImmutableDbContext db, IEnumerable<ObservationRecord> observations, string publicUrl, DateTime now)
    {
        foreach (var o in observations)
        {
            db.EmailItems.Add(new EmailItemRecord
            {
                WorkspaceId = o.WorkspaceId, Kind = "observation", RecordId = o.Id, Severity = WireName.Of(o.Severity), Title = o.MonitorName,
                Reason = o.Message, Actor = o.UserId, Link = ObservationJson.LinkFor(publicUrl, o.Id), CreatedAt = now,
            });
        }
    }
}
