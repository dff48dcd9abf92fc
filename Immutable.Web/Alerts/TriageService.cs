using Immutable.Web.DomainEvents;
using Immutable.Domain.Alerts;
using Immutable.Domain;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Alerts;

/// <summary>
/// Triage of findings (alerts and observations) for the API and the dashboard: acknowledging records who, when and
/// an optional note, appends <c>alert.acknowledged</c> / <c>observation.acknowledged</c> to the workspace's chain and
/// publishes <see cref="AlertChanged"/> / <see cref="ObservationChanged"/>. Acknowledging an acknowledged finding changes nothing and returns it as it is; two
/// acknowledgements racing on an open one are decided by its <see cref="IAcknowledgeable.Version"/>: one wins, the
/// other gets 409.
/// </summary>
public sealed class TriageService(
    IDbContextFactory<ImmutableDbContext> dbFactory, AuditTrail audit, TimeProvider time, IDomainEvents events, IOptions<Hosting.PublicUrlOptions> publicUrl)
{
    public const int MaxNoteLength = 2000;

    public async Task<Result<AlertJson>> AcknowledgeAlertAsync(WorkspacePrincipal who, string id, string? note, CancellationToken ct = default)
    {
        if (note is { Length: > MaxNoteLength }) return NoteTooLong;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id && a.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Alert");
        if (row.Status == AlertStatus.Acknowledged) return AlertJson.From(row);

        var (version, now) = (row.Version, Timestamps.ToMicroseconds(time.GetUtcNow()));
        Acknowledge(row, who, note, now);
        var written = await db.Alerts.Where(a => a.RowId == row.RowId && a.Version == version)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, row.Status).SetProperty(a => a.AcknowledgedAt, row.AcknowledgedAt)
                .SetProperty(a => a.AcknowledgedBy, row.AcknowledgedBy).SetProperty(a => a.AcknowledgementNote, row.AcknowledgementNote)
                .SetProperty(a => a.Version, row.Version), ct);
        if (written == 0) return Problem.Changed("The alert");
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "alert.acknowledged", "alert", row.Id, row.RuleName,
            new JsonObject { ["rule_type"] = WireName.Of(row.RuleType), ["severity"] = WireName.Of(row.Severity), ["note"] = note }, ct);
        var json = AlertJson.From(row);
        events.Publish(new AlertChanged(who.WorkspaceId, json));
        return json;
    }

    public async Task<Result<ObservationJson>> AcknowledgeObservationAsync(WorkspacePrincipal who, string id, string? note, CancellationToken ct = default)
    {
        if (note is { Length: > MaxNoteLength }) return NoteTooLong;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Observations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id && o.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Observation");
        if (row.Status != AlertStatus.Acknowledged)
        {
            var (version, now) = (row.Version, Timestamps.ToMicroseconds(time.GetUtcNow()));
            Acknowledge(row, who, note, now);
            var written = await db.Observations.Where(o => o.RowId == row.RowId && o.Version == version)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, row.Status).SetProperty(o => o.AcknowledgedAt, row.AcknowledgedAt)
                    .SetProperty(o => o.AcknowledgedBy, row.AcknowledgedBy).SetProperty(o => o.AcknowledgementNote, row.AcknowledgementNote)
                    .SetProperty(o => o.Version, row.Version), ct);
            if (written == 0) return Problem.Changed("The observation");
            await audit.RecordAsync(who.WorkspaceId, who.Actor, "observation.acknowledged", "observation", row.Id, row.MonitorName,
                new JsonObject { ["severity"] = WireName.Of(row.Severity), ["note"] = note }, ct);
            events.Publish(new ObservationChanged(who.WorkspaceId, ObservationJson.From(row, publicUrl.Value.Base)));
        }
        return ObservationJson.From(row, publicUrl.Value.Base);
    }

    private static readonly Problem NoteTooLong = Problem.Invalid("note", $"must be a string of at most {MaxNoteLength} characters");

    private static void Acknowledge(IAcknowledgeable finding, WorkspacePrincipal who, string? note, DateTime now)
    {
        finding.Status = AlertStatus.Acknowledged;
        finding.AcknowledgedAt = now;
        finding.AcknowledgedBy = who.Actor.Id;
        finding.AcknowledgementNote = note;
        finding.Version++;
    }
}
