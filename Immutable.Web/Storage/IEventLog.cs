using Immutable.Domain.Events;

namespace Immutable.Web.Storage;

/// <param name="Duplicate">True when an event with the same idempotency key was already stored: Id, Sequence and EventHash are that event's.</param>
/// <param name="Sequence">The event's place in the workspace's chain.</param>
/// <param name="EventHash">The event's hash: with the sequence, a receipt the client can keep and check against a proof later.</param>
public sealed record AppendOutcome(Guid Id, bool Duplicate, long Sequence, string EventHash);

/// <summary>
/// The one seam through which events enter a workspace's hash chain. All appends of a workspace go through
/// one writer, which assigns the sequence number and chain link; the returned task completes only after the
/// events are committed, and <see cref="Immutable.Web.DomainEvents.EventsAppended"/> is published after each commit. A multi-instance deployment swaps the implementation for one that takes a database
/// lock per workspace (e.g. a PostgreSQL advisory lock) around the same steps.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends the events of one request atomically: all are stored, or none.</summary>
    Task<IReadOnlyList<AppendOutcome>> AppendAsync(string workspaceId, IReadOnlyList<EventContent> events, CancellationToken cancellationToken);
}
