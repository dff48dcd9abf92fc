using System.Threading.Channels;
using Immutable.Web.Storage;
using Npgsql;

namespace Immutable.Web.DomainEvents;

/// <summary>
/// The <see cref="IDomainEvents"/> of an instance sharing a PostgreSQL database with others: every event goes to this
/// instance's own subscribers at once (<see cref="InProcessDomainEvents"/>), and the ones other instances must act on
/// (<see cref="PeerEventWire.Crosses"/>) also go out with <c>NOTIFY</c> on one channel. Each instance <c>LISTEN</c>s on
/// a connection of its own and hands what other instances sent to its subscribers that want it from peers; its own
/// messages (marked with its origin id) are skipped, so nothing is handled twice on the instance that published it.
/// </summary>
/// <remarks>
/// Same contract as in-process: <see cref="Publish"/> never blocks, delivery is at most once and best effort (a message
/// sent while a listener is reconnecting is lost to it; the store is the truth and every subscriber also catches up
/// from it). After a break the listener publishes <see cref="PeerEventsMissed"/> locally, so caches kept fresh by peer
/// events are reloaded. One sending connection keeps this instance's messages in publish order; <see cref="EventsAppended"/>
/// waiting together are merged into one message.
/// </remarks>
public sealed partial class PostgresPeerEvents(InProcessDomainEvents local, NpgsqlDataSource dataSource, PeerEventWire wire, ILogger<PostgresPeerEvents> logger)
    : BackgroundService, IDomainEvents
{
    private const int OutgoingCapacity = 10_000;
    private const int MessagesPerBatch = 64;
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAliveAfter = TimeSpan.FromSeconds(30);

    private readonly Channel<DomainEvent> _outgoing = Channel.CreateBounded<DomainEvent>(new BoundedChannelOptions(OutgoingCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking the publisher
    });

    private readonly Channel<string> _incoming = Channel.CreateBounded<string>(new BoundedChannelOptions(OutgoingCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private long _number;

    /// <summary>This instance's mark on its messages.</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N")[..16];

    /// <summary>True while the listening connection is up (reported by /readyz).</summary>
    public bool Listening { get; private set; }

    public void Publish(DomainEvent domainEvent)
    {
        local.Publish(domainEvent);
        if (PeerEventWire.Crosses(domainEvent) && !_outgoing.Writer.TryWrite(domainEvent)) LogDropped(domainEvent.GetType().Name);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Run(() => SendAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => ListenAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => ReceiveAsync(stoppingToken), CancellationToken.None));

    private async Task SendAsync(CancellationToken stoppingToken)
    {
        var pending = new List<string>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                while (await _outgoing.Reader.WaitToReadAsync(stoppingToken))
                {
                    if (pending.Count == 0) pending.AddRange(Take());
                    if (pending.Count == 0) continue;
                    await using (var batch = new NpgsqlBatch(connection))
                    {
                        foreach (var payload in pending)
                            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresSql.NotifyPeerEvents) { Parameters = { new NpgsqlParameter { Value = payload } } });
                        await batch.ExecuteNonQueryAsync(stoppingToken);
                    }
                    pending.Clear();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                // What this batch held is lost to the peers (at most once); they catch up from the store.
                LogSendFailed(ex, pending.Count);
                pending.Clear();
                try { await Task.Delay(Retry, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>What is waiting, as messages: consecutive appends merged into one event.</summary>
    private List<string> Take()
    {
        var messages = new List<string>();
        HashSet<string>? appended = null;
        var taken = 0;
        while (taken++ < MessagesPerBatch && _outgoing.Reader.TryRead(out var domainEvent))
        {
            if (domainEvent is EventsAppended e)
            {
                (appended ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(e.WorkspaceIds);
                continue;
            }
            if (appended is not null) { messages.AddRange(Encode(new EventsAppended(appended))); appended = null; }
            messages.AddRange(Encode(domainEvent));
        }
        if (appended is not null) messages.AddRange(Encode(new EventsAppended(appended)));
        return messages;
    }

    private IEnumerable<string> Encode(DomainEvent domainEvent)
    {
        var any = false;
        foreach (var message in PeerEventWire.Encode(Origin, () => Interlocked.Increment(ref _number), domainEvent))
        {
            any = true;
            yield return message;
        }
        if (!any) LogTooLarge(domainEvent.GetType().Name);
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var connectedBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    // Raised on this connection's reader: only queue here, decoding may read the store.
                    if (PeerEventWire.OriginOf(e.Payload) is { } origin && origin != Origin && !_incoming.Writer.TryWrite(e.Payload))
                        LogDropped("incoming");
                };
                await using (var listen = new NpgsqlCommand(PostgresSql.ListenPeerEvents, connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                Listening = true;
                if (connectedBefore) local.Publish(new PeerEventsMissed());
                connectedBefore = true;
                LogListening();
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(KeepAliveAfter, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand(PostgresSql.KeepAlive, connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                Listening = false;
                LogListenFailed(ex);
                try { await Task.Delay(Retry, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
            finally
            {
                Listening = false;
            }
        }
    }

    private async Task ReceiveAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var payload in _incoming.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    if (await wire.DecodeAsync(payload, stoppingToken) is { } domainEvent) local.PublishFromPeer(domainEvent);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogDecodeFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Warning, "Dropped a {Event} peer event: the queue is full.")]
    private partial void LogDropped(string @event);

    [LoggerMessage(LogLevel.Warning, "A {Event} domain event is too large for NOTIFY; other instances learn it from the store.")]
    private partial void LogTooLarge(string @event);

    [LoggerMessage(LogLevel.Warning, "Sending {Count} domain event message(s) to the other instances failed; reconnecting.")]
    private partial void LogSendFailed(Exception ex, int count);

    [LoggerMessage(LogLevel.Warning, "Listening for other instances' domain events failed; reconnecting.")]
    private partial void LogListenFailed(Exception ex);

    [LoggerMessage(LogLevel.Information, "Listening for other instances' domain events (PostgreSQL LISTEN " + PostgresSql.PeerEventsChannel + ").")]
    private partial void LogListening();

    [LoggerMessage(LogLevel.Warning, "A domain event from another instance could not be read back; skipped.")]
    private partial void LogDecodeFailed(Exception ex);
}
