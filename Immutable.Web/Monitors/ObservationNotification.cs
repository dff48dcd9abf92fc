using Immutable.Domain;
using System.Globalization;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;

namespace Immutable.Web.Monitors;

/// <summary>
/// The webhook body of an observation (detection.md, "Monitors").
/// Invariant: it carries no personal data. The user appears only as the workspace's opaque integer profile id;
/// the actor id, name, email, IP and the related events are not in it (the link leads to them, behind sign-in).
/// </summary>
public static class ObservationNotification
{
    public static JsonObject Payload(ObservationRecord o, string publicUrl) => new()
    {
        ["event_type"] = "observation.created",
        ["observedResource"] = new JsonObject
        {
            ["type"] = "USER",
            ["profileId"] = o.ProfileId.ToString(CultureInfo.InvariantCulture),
            ["identityProvider"] = o.WorkspaceId,
        },
        ["severity"] = WireName.Of(o.Severity).ToUpperInvariant(),
        ["link"] = ObservationJson.LinkFor(publicUrl, o.Id),
        ["metric"] = o.MetricValue.ToString("0.##", CultureInfo.InvariantCulture),
        ["message"] = o.Message,
        ["timestamp"] = Timestamps.ToIso(o.CreatedAt),
    };
}
