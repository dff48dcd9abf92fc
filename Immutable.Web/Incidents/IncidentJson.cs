using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.Alerts;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;

namespace Immutable.Web.Incidents;

/// <summary>An incident as the API lists it.</summary>
public sealed record IncidentJson(
    string Id, string Title, string GroupBy, string GroupValue, string ActorId, string? ActorName, string Severity, string Status,
    string? Resolution, string? Note, string? Assignee, int AlertCount, int ObservationCount, bool Collecting,
    string FirstActivityAt, string LastActivityAt, string CreatedAt, string UpdatedAt, string? ResolvedAt, string? ResolvedBy)
{
    public static IncidentJson From(IncidentRecord i) => new(
        i.Id, i.Title, WireName.Of(i.GroupBy), i.GroupValue, i.ActorId, i.ActorName, WireName.Of(i.Severity), WireName.Of(i.Status),
        i.Resolution is { } r ? WireName.Of(r) : null, i.Note, i.Assignee, i.AlertCount, i.ObservationCount, i.OpenKey is not null,
        Timestamps.ToIso(i.FirstActivityAt), Timestamps.ToIso(i.LastActivityAt), Timestamps.ToIso(i.CreatedAt), Timestamps.ToIso(i.UpdatedAt),
        i.ResolvedAt is { } t ? Timestamps.ToIso(t) : null, i.ResolvedBy);
}

public sealed record IncidentCommentJson(long Id, string AuthorId, string? AuthorName, string Text, string CreatedAt)
{
    public static IncidentCommentJson From(IncidentCommentRecord c) => new(c.RowId, c.AuthorId, c.AuthorName, c.Text, Timestamps.ToIso(c.CreatedAt));
}

/// <summary>One incident with its findings (oldest first) and its comment timeline (oldest first).</summary>
public sealed record IncidentDetailJson(
    IncidentJson Incident, IReadOnlyList<AlertJson> Alerts, IReadOnlyList<ObservationJson> Observations, IReadOnlyList<IncidentCommentJson> Comments);

/// <summary>PATCH body (documentation; parsed by <see cref="IncidentService"/>): every field optional, at least one.</summary>
public sealed record IncidentUpdateInput(string? Status, string? Resolution, string? Note, string? Assignee);

/// <summary>POST body of a comment.</summary>
public sealed record IncidentCommentInput(string Text);
