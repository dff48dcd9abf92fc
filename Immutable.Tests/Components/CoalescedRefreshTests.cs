using Immutable.Web.Components.Shared;

namespace Immutable.Tests.Components;

public sealed class CoalescedRefreshTests
{
    [Fact]
    public async Task Requests_during_a_refresh_collapse_into_one_follow_up()
    {
        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refresh = new CoalescedRefresh(async () =>
        {
            if (Interlocked.Increment(ref runs) == 1) await gate.Task; // the first refresh is slow
            else done.TrySetResult();
        });

        refresh.Request();
        for (var i = 0; i < 1000; i++) refresh.Request(); // a burst while the first one runs
        gate.SetResult();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.Equal(2, runs);

        refresh.Request(); // idle again: a new request runs at once
        SpinWait.SpinUntil(() => Volatile.Read(ref runs) == 3, TimeSpan.FromSeconds(5));
        Assert.Equal(3, runs);
    }
}
