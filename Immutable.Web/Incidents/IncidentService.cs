using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Alerts;
using Immutable.Domain.Chain;
using Immutable.Web.Alerts;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Incidents;

/// <summary>
/// Triage of incidents for the API and the dashboard (every member may triage, as with alerts): status, resolution,
/// note and assignee, and comments. Each change is written only where the incident's version is still the one read
/// (two people changing one incident at once: one wins, the other gets 409), appends <c>incident.updated</c> /
/// <c>incident.commented</c> to the workspace's chain and publishes <see cref="IncidentsChanged"/>. Acknowledging or
/// resolving acknowledges every open alert and observation of the incident through <see cref="TriageService"/>, so
/// each of them is audited exactly as when acknowledged one by one.
/// </summary>
public sealed class IncidentService(
    IDbContextFactory<ImmutableDbContext> dbFactory, TriageService triage, AuditTrail audit, TimeProvider time, IDomainEvents events,
    IOptions<Hosting.PublicUrlOptions> publicUrl)
{
    public const int MaxNoteLength = TriageService.MaxNoteLength;
    public const int MaxCommentLength = 4000;
    /// <summary>Findings shown with an incident (oldest first); the alert and observation lists page through the rest.</summary>
    public const int MaxFindingsShown = 500;

    private static readonly HashSet<string> UpdateFields = new(StringComparer.Ordinal) { "status", "resolution", "note", "assignee" };

    public async Task<Result<IncidentDetailJson>> GetAsync(WorkspacePrincipal who, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Incidents.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Incident");
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == who.WorkspaceId && a.IncidentId == id)
            .OrderBy(a => a.RowId).Take(MaxFindingsShown).ToListAsync(ct);
        var observations = await db.Observations.AsNoTracking().Where(o => o.WorkspaceId == who.WorkspaceId && o.IncidentId == id)
            .OrderBy(o => o.RowId).Take(MaxFindingsShown).ToListAsync(ct);
        var comments = await db.IncidentComments.AsNoTracking().Where(c => c.IncidentRowId == row.RowId).OrderBy(c => c.RowId).ToListAsync(ct);
        var url = publicUrl.Value.Base;
        return new IncidentDetailJson(IncidentJson.From(row), alerts.Select(AlertJson.From).ToList(),
            observations.Select(o => ObservationJson.From(o, url)).ToList(), comments.Select(IncidentCommentJson.From).ToList());
    }

    /// <summary>The members an incident may be assigned to (email, name), by email.</summary>
    public async Task<IReadOnlyList<(string Email, string? Name)>> AssigneesAsync(string workspaceId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.WorkspaceMembers.AsNoTracking().Where(m => m.WorkspaceId == workspaceId).OrderBy(m => m.Email)
            .Select(m => new { m.Email, m.Name }).ToListAsync(ct);
        return rows.Select(r => (r.Email, r.Name)).ToList();
    }

    public async Task<Result<IncidentJson>> UpdateAsync(WorkspacePrincipal who, string id, JsonInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Incidents.SingleOrDefaultAsync(i => i.Id == id && i.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Incident");
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return unreadable;
        if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object");

        var violations = new List<Violation>();
        foreach (var p in root.EnumerateObject())
            if (!UpdateFields.Contains(p.Name)) violations.Add(new Violation(p.Name, "is not a field of an incident update (status, resolution, note, assignee)"));
        if (violations.Count == 0 && !root.EnumerateObject().Any())
            violations.Add(new Violation("body", "must set at least one of status, resolution, note, assignee"));

        var status = row.Status;
        if (root.TryGetProperty("status", out var s))
        {
            if (s.ValueKind == JsonValueKind.String && WireName.TryParse<IncidentStatus>(s.GetString(), out var parsed)) status = parsed;
            else violations.Add(new Violation("status", "must be " + string.Join(", ", WireName.All<IncidentStatus>())));
        }
        var resolution = status == IncidentStatus.Resolved ? row.Resolution : null;
        var hasResolution = root.TryGetProperty("resolution", out var r) && r.ValueKind != JsonValueKind.Null;
        if (hasResolution)
        {
            if (r.ValueKind != JsonValueKind.String || !WireName.TryParse<IncidentResolution>(r.GetString(), out var parsedResolution))
                violations.Add(new Violation("resolution", "must be " + string.Join(", ", WireName.All<IncidentResolution>())));
            else if (status != IncidentStatus.Resolved)
                violations.Add(new Violation("resolution", "is set only when resolving (status resolved)"));
            else resolution = parsedResolution;
        }
        if (status == IncidentStatus.Resolved && resolution is null && !violations.Any(v => v.Field is "resolution" or "status"))
            violations.Add(new Violation("resolution", "is required to resolve: " + string.Join(", ", WireName.All<IncidentResolution>())));

        var note = row.Note;
        if (root.TryGetProperty("note", out var n))
        {
            if (n.ValueKind == JsonValueKind.Null) note = null;
            else if (n.ValueKind != JsonValueKind.String || n.GetString()!.Length > MaxNoteLength)
                violations.Add(new Violation("note", $"must be a string of at most {MaxNoteLength} characters, or null"));
            else note = string.IsNullOrWhiteSpace(n.GetString()) ? null : n.GetString();
        }

        var assignee = row.Assignee;
        if (root.TryGetProperty("assignee", out var a))
        {
            if (a.ValueKind == JsonValueKind.Null) assignee = null;
            else if (a.ValueKind != JsonValueKind.String || a.GetString()!.Length > 320)
                violations.Add(new Violation("assignee", "must be the email of a member of this workspace, or null"));
            else
            {
                var email = a.GetString()!.Trim().ToLowerInvariant();
                if (await db.WorkspaceMembers.AnyAsync(m => m.WorkspaceId == who.WorkspaceId && m.Email == email, ct)) assignee = email;
                else violations.Add(new Violation("assignee", "must be the email of a member of this workspace, or null"));
            }
        }
        if (violations.Count > 0) return Problem.Invalid(violations);

        var before = Describe(row);
        var statusChanged = status != row.Status;
        var now = Timestamps.ToMicroseconds(time.GetUtcNow());
        row.Status = status;
        row.Resolution = resolution;
        row.Note = note;
        row.Assignee = assignee;
        if (statusChanged && status == IncidentStatus.Resolved)
        {
            row.ResolvedAt = now;
            row.ResolvedBy = who.Actor.Id;
            // A resolved incident collects nothing more: later findings about the same key start a new one.
            row.OpenKey = null;
        }
        else if (status != IncidentStatus.Resolved)
        {
            (row.ResolvedAt, row.ResolvedBy) = (null, null);
        }
        var after = Describe(row);
        if (JsonNode.DeepEquals(before, after)) return IncidentJson.From(row);
        row.UpdatedAt = now;
        row.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problem.Changed("The incident");
        }
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "incident.updated", "incident", row.Id, row.Title,
            new JsonObject { ["before"] = before, ["after"] = after }, ct);

        if (statusChanged && status is IncidentStatus.Acknowledged or IncidentStatus.Resolved)
            await AcknowledgeFindingsAsync(db, who, row.Id, note, ct);
        events.Publish(new IncidentsChanged(who.WorkspaceId, [row.Id]));
        return IncidentJson.From(row);
    }

    public async Task<Result<IncidentCommentJson>> CommentAsync(WorkspacePrincipal who, string id, JsonInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Incidents.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.WorkspaceId == who.WorkspaceId, ct);
        if (row is null) return Problem.NotFound("Incident");
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return unreadable;
        if (root.ValueKind != JsonValueKind.Object) return Problem.Invalid("body", "must be a JSON object");
        if (!root.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString())
            || t.GetString()!.Trim().Length > MaxCommentLength)
            return Problem.Invalid("text", $"is required: a string of 1 to {MaxCommentLength} characters");
        var comment = new IncidentCommentRecord
        {
            IncidentRowId = row.RowId,
            WorkspaceId = who.WorkspaceId,
            AuthorId = who.Actor.Id,
            AuthorName = who.Actor.Name,
            Text = t.GetString()!.Trim(),
            CreatedAt = Timestamps.ToMicroseconds(time.GetUtcNow()),
        };
        db.IncidentComments.Add(comment);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(who.WorkspaceId, who.Actor, "incident.commented", "incident", row.Id, row.Title,
            new JsonObject { ["comment_id"] = comment.RowId, ["text"] = comment.Text }, ct);
        events.Publish(new IncidentsChanged(who.WorkspaceId, [row.Id]));
        return IncidentCommentJson.From(comment);
    }

    /// <summary>Through the triage service, one by one: each finding gets its own audit record and live update.</summary>
    private async Task AcknowledgeFindingsAsync(ImmutableDbContext db, WorkspacePrincipal who, string incidentId, string? note, CancellationToken ct)
    {
        var alertIds = await db.Alerts.AsNoTracking()
            .Where(x => x.WorkspaceId == who.WorkspaceId && x.IncidentId == incidentId && x.Status == AlertStatus.Open).Select(x => x.Id).ToListAsync(ct);
        foreach (var alertId in alertIds) await triage.AcknowledgeAlertAsync(who, alertId, note, ct); // a 409 means someone else acknowledged it: done
        var observationIds = await db.Observations.AsNoTracking()
            .Where(x => x.WorkspaceId == who.WorkspaceId && x.IncidentId == incidentId && x.Status == AlertStatus.Open).Select(x => x.Id).ToListAsync(ct);
        foreach (var observationId in observationIds) await triage.AcknowledgeObservationAsync(who, observationId, note, ct);
    }

    private static JsonObject Describe(IncidentRecord i) => new()
    {
        ["status"] = WireName.Of(i.Status),
        ["resolution"] = i.Resolution is { } r ? WireName.Of(r) : null,
        ["note"] = i.Note,
        ["assignee"] = i.Assignee,
    };
}
