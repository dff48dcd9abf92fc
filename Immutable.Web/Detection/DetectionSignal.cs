using System.Collections.Concurrent;
using Immutable.Web.Jobs;
using Immutable.Web.Storage;
using Quartz;

namespace Immutable.Web.Detection;

/// <summary>
/// Bridges the chain writer to the stream job: a commit marks its workspaces pending and triggers the job
/// once (not once per commit: a trigger is only sent when none is outstanding).
/// </summary>
public sealed class DetectionSignal(ISchedulerFactory schedulers, ILogger<DetectionSignal> logger) : IEventCommitObserver
{
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private int _triggerOutstanding;

    public void OnCommitted(IReadOnlyCollection<string> workspaceIds)
    {
        foreach (var ws in workspaceIds) _pending[ws] = 0;
        if (Interlocked.Exchange(ref _triggerOutstanding, 1) == 0) _ = TriggerAsync();
    }

    /// <summary>Called by the job as it starts: commits after this point trigger another run.</summary>
    public IReadOnlyList<string> TakePending()
    {
        Volatile.Write(ref _triggerOutstanding, 0);
        var taken = new List<string>();
        foreach (var ws in _pending.Keys)
            if (_pending.TryRemove(ws, out _)) taken.Add(ws);
        return taken;
    }

    private async Task TriggerAsync()
    {
        try
        {
            var scheduler = await schedulers.GetScheduler();
            await scheduler.TriggerJob(JobSchedules.StreamEvaluation);
        }
        catch (Exception ex) when (ex is SchedulerException or InvalidOperationException)
        {
            // The safety-net sweep will pick the workspace up.
            Volatile.Write(ref _triggerOutstanding, 0);
            logger.LogWarning(ex, "Could not trigger stream evaluation; the safety net will run it.");
        }
    }
}
