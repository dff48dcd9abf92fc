using System.Text.Json;
using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Web.Detection;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Incidents;

/// <summary>
/// Groups the findings a unit of work creates into incidents, inside the caller's transaction (detection's chunk,
/// a spike window, a monitor pass), so a finding is never stored without its incident or the other way round.
/// Each finding joins the incident collecting its key (<see cref="IncidentGroupingRule.KeyOf"/>) when its event time is
/// within the workspace's window after that incident's last activity; otherwise that incident stops collecting and a
/// new one takes the key. Severity is the highest of the members; an acknowledged incident that gets a new finding is
/// open again.
/// Invariant, across instances: at most one incident per (workspace, key) collects, held by the unique index on
/// (workspace_id, open_key). Two instances creating the same incident at once: the second insert meets the index and
/// its whole transaction rolls back (findings included) and is retried by its caller, which then joins the first
/// one's incident; a concurrent change to an existing incident fails the same way on its version (a concurrency token).
/// </summary>
public sealed class IncidentGrouper(TimeProvider time)
{
    private sealed record Finding(string ActorId, string? ActorName, string? SessionId, string? IpAddress, Severity Severity, DateTime At, string Title, Action<string> Attach, bool IsAlert);

    /// <summary>Attaches the findings to incidents (tracked by <paramref name="db"/>; the caller saves and commits); returns the incidents touched.</summary>
    public async Task<IReadOnlyList<string>> GroupAsync(ImmutableDbContext db, string workspaceId,
        IReadOnlyCollection<AlertRecord> alerts, IReadOnlyCollection<ObservationRecord> observations, CancellationToken ct)
    {
        if (alerts.Count + observations.Count == 0) return [];
        var settings = await db.WorkspaceSettings.AsNoTracking().Where(s => s.WorkspaceId == workspaceId)
            .Select(s => new { s.IncidentGrouping, s.IncidentWindowMinutes }).SingleOrDefaultAsync(ct);
        var grouping = settings is not null && WireName.TryParse<IncidentGrouping>(settings.IncidentGrouping, out var g) ? g : IncidentGrouping.Actor;
        var window = settings?.IncidentWindowMinutes ?? IncidentGroupingRule.DefaultWindowMinutes;

        var findings = alerts.Select(FromAlert).Concat(observations.Select(FromObservation)).OrderBy(f => f.At).ToList();
        var keyed = findings.Select(f => (Finding: f, Key: IncidentGroupingRule.KeyOf(grouping, f.ActorId, f.SessionId, f.IpAddress))).ToList();
        var openKeys = keyed.Select(k => OpenKey(k.Key.By, k.Key.Value)).Distinct(StringComparer.Ordinal).ToList();
        var collecting = await db.Incidents.Where(i => i.WorkspaceId == workspaceId && i.OpenKey != null && openKeys.Contains(i.OpenKey))
            .ToDictionaryAsync(i => i.OpenKey!, StringComparer.Ordinal, ct);

        var now = Immutable.Domain.Chain.Timestamps.ToMicroseconds(time.GetUtcNow());
        var touched = new List<IncidentRecord>();
        foreach (var (finding, (by, value)) in keyed)
        {
            var key = OpenKey(by, value);
            if (collecting.TryGetValue(key, out var incident) && !IncidentGroupingRule.Joins(incident.LastActivityAt, finding.At, window))
            {
                // The window has passed: this incident stops collecting. Saved before the new one takes the key, so the
                // unique index never sees two rows with it.
                incident.OpenKey = null;
                incident.Version++;
                incident.UpdatedAt = now;
                await db.SaveChangesAsync(ct);
                incident = null;
            }
            if (incident is null)
            {
                incident = new IncidentRecord
                {
                    Id = "inc_" + Guid.CreateVersion7(time.GetUtcNow()).ToString("D"),
                    WorkspaceId = workspaceId,
                    GroupBy = by,
                    GroupValue = value,
                    OpenKey = key,
                    Title = finding.Title,
                    ActorId = finding.ActorId,
                    ActorName = finding.ActorName,
                    Severity = finding.Severity,
                    Status = IncidentStatus.Open,
                    FirstActivityAt = finding.At,
                    LastActivityAt = finding.At,
                    CreatedAt = now,
                };
                db.Incidents.Add(incident);
                collecting[key] = incident;
            }
            else
            {
                incident.Severity = IncidentGroupingRule.Highest(incident.Severity, finding.Severity);
                if (finding.At > incident.LastActivityAt) incident.LastActivityAt = finding.At;
                if (finding.At < incident.FirstActivityAt) incident.FirstActivityAt = finding.At;
                incident.ActorName ??= finding.ActorName;
                if (incident.Status == IncidentStatus.Acknowledged) incident.Status = IncidentStatus.Open;
                if (!touched.Contains(incident)) incident.Version++;
            }
            if (finding.IsAlert) incident.AlertCount++;
            else incident.ObservationCount++;
            incident.UpdatedAt = now;
            finding.Attach(incident.Id);
            if (!touched.Contains(incident)) touched.Add(incident);
        }
        return touched.Select(i => i.Id).ToList();
    }

    private static string OpenKey(IncidentGrouping by, string value) => WireName.Of(by) + ":" + value;

    private static Finding FromAlert(AlertRecord a)
    {
        var flat = a.Event is null ? null : JsonSerializer.Deserialize<FlatEvent>(a.Event, DetectionJson.Options);
        return new Finding(a.ActorId, flat?.ActorName, flat?.SessionId, flat?.IpAddress, a.Severity, a.FirstEventAt, a.RuleName, id => a.IncidentId = id, true);
    }

    private static Finding FromObservation(ObservationRecord o) =>
        new(o.UserId, null, null, null, o.Severity, o.WindowEnd, o.MonitorName, id => o.IncidentId = id, false);
}
