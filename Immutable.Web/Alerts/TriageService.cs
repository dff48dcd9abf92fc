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

        if (!await TryAcknowledgeAsync(db.Alerts, row, who, note, ct)) return Problem.Changed("The alert");
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
            if (!await TryAcknowledgeAsync(db.Observations, row, who, note, ct)) return Problem.Changed("The observation");
            await audit.RecordAsync(who.WorkspaceId, who.Actor, "observation.acknowledged", "observation", row.Id, row.MonitorName,
                new JsonObject { ["severity"] = WireName.Of(row.Severity), ["note"] = note }, ct);
            events.Publish(new ObservationChanged(who.WorkspaceId, ObservationJson.From(row, publicUrl.Value.Base)));
        }
        return ObservationJson.From(row, publicUrl.Value.Base);
    }

    private static readonly Problem NoteTooLong = Problem.Invalid("note", $"must be a string of at most {MaxNoteLength} characters");

    /// <summary>
    /// Acknowledges <paramref name="finding"/> (read untracked) in memory and in the store, where its version is still
    /// the one read; false when another change got there first (nothing is written then).
    /// </summary>
    private async Task<bool> TryAcknowledgeAsync<T>(DbSet<T> findings, T finding, WorkspacePrincipal who, string? note, CancellationToken ct)
        where T : class, IAcknowledgeable, IRowKeyed
    {
        var (rowId, version) = (finding.RowId, finding.Version);
        finding.Status = AlertStatus.Acknowledged;
        finding.AcknowledgedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        finding.AcknowledgedBy = who.Actor.Id;
        finding.AcknowledgementNote = note;
        finding.Version = version + 1;
        var written = await findings.Where(f => f.RowId == rowId && f.Version == version)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, finding.Status).SetProperty(f => f.AcknowledgedAt, finding.AcknowledgedAt)
                .SetProperty(f => f.AcknowledgedBy, finding.AcknowledgedBy).SetProperty(f => f.AcknowledgementNote, finding.AcknowledgementNote)
                .SetProperty(f => f.Version, finding.Version), ct);
        return written == 1;
    }
}
