using Immutable.Web.Detection;
using Quartz;

namespace Immutable.Web.Jobs;

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

/// <summary>Deletes the files of expired exports.</summary>
[DisallowConcurrentExecution]
public sealed class ExportCleanupJob(Immutable.Web.Exports.ExportService exports) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await exports.DeleteExpiredAsync(cancellationToken);
}

/// <summary>The daily retention run: archives and removes the events older than each workspace's window.</summary>
[DisallowConcurrentExecution]
public sealed class RetentionJob(Immutable.Web.Retention.RetentionArchiver archiver) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await archiver.RunAllAsync(cancellationToken);
}
