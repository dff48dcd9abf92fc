using Immutable.Web.DomainEvents;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Detection;

/// <summary>
/// Runs stream evaluation, one workspace at a time: woken by <see cref="EventsAppended"/> for the workspaces that got
/// events, and every <c>Detection:SafetyNetSeconds</c> for every lagging one (a missed or dropped wake-up, or events
/// committed by another instance). Registered only when <c>Detection:StreamEvaluation</c> is on.
/// </summary>
public sealed partial class StreamEvaluationWorker(StreamEvaluator evaluator, IOptions<DetectionOptions> options, ILogger<StreamEvaluationWorker> logger)
    : BackgroundService, IDomainEventSubscriber
{
    private readonly WorkspaceWakeups _wakeups = new();

    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken) => _wakeups.WakeOnAppends(domainEvent);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Infrastructure timing, like the other pollers: real time, not the injected clock.
        var interval = TimeSpan.FromSeconds(options.Value.SafetyNetSeconds);
        long? lastSweep = null; // none yet: the first run catches up whatever was committed while detection was off
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var workspaces = _wakeups.Take();
                if (lastSweep is null || System.Diagnostics.Stopwatch.GetElapsedTime(lastSweep.Value) >= interval)
                {
                    lastSweep = System.Diagnostics.Stopwatch.GetTimestamp();
                    workspaces = workspaces.Union(await evaluator.LaggingWorkspacesAsync(stoppingToken), StringComparer.Ordinal).ToList();
                }
                var evaluated = 0;
                foreach (var ws in workspaces)
                {
                    try
                    {
                        evaluated += await evaluator.ProcessAsync(ws, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One workspace's failure must not starve the others; its checkpoint did not move, so it is retried.
                        LogWorkspaceFailed(ex, ws);
                    }
                }
                // Busy: let the next commits gather for a moment (see DetectionOptions.BatchWindowMilliseconds).
                if (evaluated > 0 && options.Value.BatchWindowMilliseconds > 0)
                    await Task.Delay(options.Value.BatchWindowMilliseconds, stoppingToken);
                await _wakeups.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(ex);
                lastSweep = null;
                try { await Task.Delay(interval, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public override void Dispose()
    {
        _wakeups.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Stream evaluation failed for workspace {Workspace}")]
    private partial void LogWorkspaceFailed(Exception ex, string workspace);

    [LoggerMessage(LogLevel.Error, "Looking for lagging workspaces failed; retrying.")]
    private partial void LogSweepFailed(Exception ex);
}
