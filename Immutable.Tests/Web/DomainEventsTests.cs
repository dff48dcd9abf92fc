using System.Collections.Concurrent;
using Immutable.Web.DomainEvents;
using Microsoft.Extensions.Logging.Abstractions;

namespace Immutable.Tests.Web;

/// <summary>The in-process publisher: order per subscriber, and one subscriber's failure or slowness is its own.</summary>
public sealed class DomainEventsTests
{
    private sealed class Recorder(Func<DomainEvent, ValueTask>? before = null) : IDomainEventSubscriber
    {
        public ConcurrentQueue<string> Seen { get; } = new();

        public async ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
        {
            if (before is not null) await before(domainEvent);
            Seen.Enqueue(((RuleChanged)domainEvent).RuleId);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "subscribers did not receive every event in time");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task ManyPublishes_FromSeveralThreads_ReachEverySubscriberInOnePublishOrder()
    {
        var first = new Recorder();
        var second = new Recorder(async e => { if (((RuleChanged)e).RuleId.EndsWith("00", StringComparison.Ordinal)) await Task.Delay(5); }); // slower
        using var events = new InProcessDomainEvents(() => [first, second], NullLogger<InProcessDomainEvents>.Instance);
        await events.StartAsync(CancellationToken.None);

        // One publisher in sequence: exactly that order.
        for (var i = 0; i < 5000; i++) events.Publish(new RuleChanged("ws", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await WaitForAsync(() => first.Seen.Count == 5000 && second.Seen.Count == 5000);
        var expected = Enumerable.Range(0, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected, first.Seen.ToList());
        Assert.Equal(expected, second.Seen.ToList());

        // Concurrent publishers: every subscriber still sees the same single order, each publisher's events in its order.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++) events.Publish(new RuleChanged("ws", $"{t}:{i}"));
        })));
        await WaitForAsync(() => first.Seen.Count == 9000 && second.Seen.Count == 9000);
        Assert.Equal(first.Seen.ToList(), second.Seen.ToList());
        foreach (var t in Enumerable.Range(0, 4))
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"{t}:{i}"), first.Seen.Where(s => s.StartsWith($"{t}:", StringComparison.Ordinal)));
        await events.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ASubscriberThatThrowsOrHangs_DoesNotStopDeliveryToTheOthers_NorToItselfAfterwards()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var throwing = new Recorder(e => ((RuleChanged)e).RuleId == "1" ? throw new InvalidOperationException("subscriber bug") : ValueTask.CompletedTask);
        var hanging = new Recorder(async _ => await release.Task);
        var healthy = new Recorder();
        using var events = new InProcessDomainEvents(() => [throwing, hanging, healthy], NullLogger<InProcessDomainEvents>.Instance);
        await events.StartAsync(CancellationToken.None);

        for (var i = 0; i < 3; i++) events.Publish(new RuleChanged("ws", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await WaitForAsync(() => healthy.Seen.Count == 3 && throwing.Seen.Count == 2);
        Assert.Equal(["0", "1", "2"], healthy.Seen.ToList());
        Assert.Equal(["0", "2"], throwing.Seen.ToList()); // the failed event is logged and skipped; the next ones arrive
        Assert.Empty(hanging.Seen);

        release.SetResult();
        await WaitForAsync(() => hanging.Seen.Count == 3);
        Assert.Equal(["0", "1", "2"], hanging.Seen.ToList());
        await events.StopAsync(CancellationToken.None);
    }
}
