using Immutable.Web.Alerts;
using Immutable.Web.Monitors;

namespace Immutable.Web.DomainEvents;

/// <summary>Something that committed and that other parts of the app (or other instances) may act on.</summary>
public abstract record DomainEvent;

/// <summary>New events were appended to these workspaces' chains (stream detection wakes up).</summary>
public sealed record EventsAppended(IReadOnlyCollection<string> WorkspaceIds) : DomainEvent;

/// <summary>Detection committed alerts: those it created, and earlier ones it changed (occurrences, correlation).</summary>
public sealed record AlertsCommitted(string WorkspaceId, IReadOnlyList<AlertJson> Created, IReadOnlyList<AlertJson> Changed) : DomainEvent;

/// <summary>Monitors committed new observations.</summary>
public sealed record ObservationsCommitted(string WorkspaceId, IReadOnlyList<ObservationJson> Created) : DomainEvent;

/// <summary>A person changed an alert (acknowledged it).</summary>
public sealed record AlertChanged(string WorkspaceId, AlertJson Alert) : DomainEvent;

/// <summary>A person changed an observation (acknowledged it).</summary>
public sealed record ObservationChanged(string WorkspaceId, ObservationJson Observation) : DomainEvent;

/// <summary>Incidents were created or changed (findings grouped into them, a person's update or comment).</summary>
public sealed record IncidentsChanged(string WorkspaceId, IReadOnlyList<string> IncidentIds) : DomainEvent;

/// <summary>An alert rule was created, updated or deleted: loaded rule sets of the workspace are stale.</summary>
public sealed record RuleChanged(string WorkspaceId, string RuleId) : DomainEvent;

/// <summary>A monitor was created, updated or deleted.</summary>
public sealed record MonitorChanged(string WorkspaceId, string MonitorId) : DomainEvent;

/// <summary>Webhook deliveries were queued (or re-queued) in the outbox: the dispatcher need not wait for its poll.</summary>
public sealed record DeliveriesEnqueued(string WorkspaceId) : DomainEvent;

/// <summary>An API key was revoked: its open live connections must close.</summary>
public sealed record KeyRevoked(string Prefix) : DomainEvent;

/// <summary>A dashboard session ended or a member's role changed or was removed: their circuits must be rechecked.</summary>
public sealed record MemberAccessChanged(string WorkspaceId) : DomainEvent;

/// <summary>A signed Merkle anchor was written and handed to its witnesses (webhook copies queued, email queued).</summary>
public sealed record AnchorCreated(string WorkspaceId, string AnchorId) : DomainEvent;

/// <summary>A workspace's settings (IP allow-list, event schema, viewer) changed: cached copies are stale.</summary>
public sealed record WorkspaceSettingsChanged(string WorkspaceId) : DomainEvent;

/// <summary>A log stream was created, changed or deleted.</summary>
public sealed record LogStreamChanged(string WorkspaceId, string StreamId) : DomainEvent;

/// <summary>
/// Published locally (never sent) when this instance's link to the others came back after a break: whatever they
/// published meanwhile never arrived, so caches kept fresh by their events (rule sets, workspace settings, the log
/// stream list) are dropped and reloaded from the store.
/// </summary>
public sealed record PeerEventsMissed : DomainEvent;
