namespace Immutable.Web.DomainEvents;

/// <summary>
/// The one way side effects leave a feature: whatever changed is published here after it committed, and delivery
/// (webhooks, email), live push (SignalR, the dashboard), detection and live sessions subscribe.
/// </summary>
/// <remarks>
/// The contract, which a cross-instance implementation (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) keeps as well:
/// <list type="bullet">
/// <item><see cref="Publish"/> never blocks and never throws into its caller, which has already committed.</item>
/// <item>Every subscriber receives the events of one publisher in publish order, one at a time; a slow or failing
/// subscriber delays or loses only its own events.</item>
/// <item>Delivery is best effort, at most once: the store is the truth, so every subscriber also catches up from it
/// (the outbox poll, detection's safety-net sweep, the revocation check). An event is a hint to act now.</item>
/// <item>Events are records of ids and the API's JSON shapes, so they serialize as they are for the wire.</item>
/// <item>With several instances (PostgreSQL), every event is handled on the instance that published it, and the
/// events other instances must act on also reach their subscribers once, never twice on the origin
/// (<c>Cluster/PostgresPeerEvents</c>, docs/architecture.md "What crosses instances").</item>
/// </list>
/// </remarks>
public interface IDomainEvents
{
    void Publish(DomainEvent domainEvent);
}

/// <summary>Registered in DI (<c>AddDomainEventSubscriber</c>); receives every event and ignores what it does not handle.</summary>
public interface IDomainEventSubscriber
{
    /// <summary>Called for each event in publish order, one call at a time for this subscriber.</summary>
    ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken);

    /// <summary>
    /// Whether this subscriber also wants <paramref name="domainEvent"/> when another instance published it (default:
    /// yes). No for work each instance does for its own events only, or that already reached every instance another way
    /// (the SignalR backplane).
    /// </summary>
    bool ReceivesFromPeers(DomainEvent domainEvent) => true;
}
