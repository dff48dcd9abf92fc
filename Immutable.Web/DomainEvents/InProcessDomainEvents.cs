using System.Threading.Channels;

namespace Immutable.Web.DomainEvents;

/// <summary>
/// The single-instance <see cref="IDomainEvents"/>: one channel in publish order, read by one loop that hands each
/// event to every subscriber's own queue; each subscriber drains its queue in order on its own loop. So order is
/// kept per subscriber, and a subscriber that is slow or throws holds up (or loses) only its own events.
/// </summary>
/// <param name="subscribers">Resolved when the loop starts, not at construction: subscribers may themselves publish.</param>
public sealed partial class InProcessDomainEvents(Func<IReadOnlyList<IDomainEventSubscriber>> subscribers, ILogger<InProcessDomainEvents> logger)
    : BackgroundService, IDomainEvents
{
    // Bounds: a subscriber this far behind is broken; dropping its hints is safer than holding the process's memory.
    private const int QueueCapacity = 100_000;
    private const int SubscriberCapacity = 10_000;

    private readonly Channel<(DomainEvent Event, bool FromPeer)> _queue = Channel.CreateBounded<(DomainEvent, bool)>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking the publisher
    });

    public void Publish(DomainEvent domainEvent)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        if (!_queue.Writer.TryWrite((domainEvent, false))) LogDropped(domainEvent.GetType().Name, "the publish queue");
    }

    /// <summary>
    /// An event another instance published (it arrived over the wire): handed to the subscribers that want it from
    /// peers (<see cref="IDomainEventSubscriber.ReceivesFromPeers"/>), in arrival order with this instance's own events.
    /// </summary>
    public void PublishFromPeer(DomainEvent domainEvent)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        if (!_queue.Writer.TryWrite((domainEvent, true))) LogDropped(domainEvent.GetType().Name, "the publish queue");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lanes = subscribers().Select(s => new Lane(s, Channel.CreateBounded<DomainEvent>(new BoundedChannelOptions(SubscriberCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        }))).ToList();
        var running = lanes.Select(lane => Task.Run(() => DrainAsync(lane, stoppingToken), CancellationToken.None)).ToList();
        try
        {
            await foreach (var (domainEvent, fromPeer) in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                foreach (var lane in lanes)
                {
                    if (fromPeer && !lane.Subscriber.ReceivesFromPeers(domainEvent)) continue;
                    if (!lane.Queue.Writer.TryWrite(domainEvent)) LogDropped(domainEvent.GetType().Name, lane.Subscriber.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var lane in lanes) lane.Queue.Writer.TryComplete();
            await Task.WhenAll(running);
        }
    }

    private async Task DrainAsync(Lane lane, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var domainEvent in lane.Queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await lane.Subscriber.HandleAsync(domainEvent, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogSubscriberFailed(ex, lane.Subscriber.GetType().Name, domainEvent.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private sealed record Lane(IDomainEventSubscriber Subscriber, Channel<DomainEvent> Queue);

    [LoggerMessage(LogLevel.Warning, "Domain event subscriber {Subscriber} failed on {Event}; it receives the next events as usual.")]
    private partial void LogSubscriberFailed(Exception ex, string subscriber, string @event);

    [LoggerMessage(LogLevel.Warning, "Dropped a {Event} domain event: {Queue} is full.")]
    private partial void LogDropped(string @event, string queue);
}
