using Immutable.Web.Detection;
using Quartz;

namespace Immutable.Web.Jobs;

/// <summary>Evaluates new events of the signalled workspaces (or, on the safety-net schedule, of every lagging one).</summary>
[DisallowConcurrentExecution]
public sealed class StreamEvaluationJob(DetectionSignal signal, StreamEvaluator evaluator, ILogger<StreamEvaluationJob> logger) : IJob
{
    public const string SweepKey = "sweep";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var workspaces = signal.TakePending().ToList();
        if (context.MergedJobDataMap.ContainsKey(SweepKey))
            workspaces = workspaces.Union(await evaluator.LaggingWorkspacesAsync(cancellationToken)).ToList();
        foreach (var ws in workspaces)
        {
            try
            {
                await evaluator.ProcessAsync(ws, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One workspace's failure must not starve the others; its checkpoint did not move, so it is retried.
                logger.LogError(ex, "Stream evaluation failed for workspace {Workspace}", ws);
            }
        }
    }
}

/// <summary>The baseline rules (ingestion_spike) on their schedule.</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledRulesJob(ScheduledRuleEvaluator evaluator) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await evaluator.EvaluateAsync(cancellationToken);
}

/// <summary>Monitors over the new query events of every workspace that has them.</summary>
[DisallowConcurrentExecution]
public sealed class MonitorEvaluationJob(Immutable.Web.Monitors.MonitorEvaluator evaluator) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await evaluator.EvaluateAsync(cancellationToken);
}
