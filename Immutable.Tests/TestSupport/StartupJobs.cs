using Immutable.Web.Jobs;
using Quartz;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// The evaluation jobs fire once as the scheduler starts (then every hour in tests). A test that evaluates by hand
/// must not race that first firing (a monitor pass it did not ask for splits its passes differently), so the test
/// host waits for both first firings to end before a test uses it.
/// </summary>
internal sealed class StartupJobs : IJobListener
{
    private readonly TaskCompletionSource _rules = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _monitors = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "test-startup-jobs";

    public Task Ended => Task.WhenAll(_rules.Task, _monitors.Task);

    public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken = default)
    {
        if (context.JobDetail.Key.Equals(JobSchedules.ScheduledRules)) _rules.TrySetResult();
        else if (context.JobDetail.Key.Equals(JobSchedules.MonitorEvaluation)) _monitors.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
