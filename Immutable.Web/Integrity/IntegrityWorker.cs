using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <summary>
/// Writes checkpoints and anchors in the background: woken by <see cref="EventsAppended"/> (a checkpoint may be due by
/// count) and every <c>Integrity:WorkerIntervalSeconds</c> for every workspace (due by time, anchors of a finished
/// period, witnesses to retry). Ingest never waits for it.
/// </summary>
public sealed partial class IntegrityWorker(
    IDbContextFactory<ImmutableDbContext> dbFactory,
    CheckpointWriter checkpoints,
    AnchorWriter anchors,
    IOptions<IntegrityOptions> options,
    ILogger<IntegrityWorker> logger) : BackgroundService, IDomainEventSubscriber
{
    private readonly WorkspaceWakeups _wakeups = new();

    /// <summary>Each instance looks at the checkpoints its own appends made due; the periodic sweep covers the rest.</summary>
    public bool ReceivesFromPeers(DomainEvent domainEvent) => domainEvent is not EventsAppended;

    public ValueTask HandleAsync(DomainEvent domainEvent, CancellationToken cancellationToken) => _wakeups.WakeOnAppends(domainEvent);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Infrastructure timing, like the other pollers: real time, not the injected clock (which decides what is due).
        var interval = TimeSpan.FromSeconds(options.Value.WorkerIntervalSeconds);
        long? lastSweep = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var woken = _wakeups.Take();
                foreach (var ws in woken) await RunAsync(ws, sweep: false, stoppingToken);
                // A checkpoint due by count is not urgent to the millisecond: under steady ingest, look at most once a
                // second instead of querying the heads after every group commit.
                if (woken.Count > 0) await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                if (lastSweep is null || System.Diagnostics.Stopwatch.GetElapsedTime(lastSweep.Value) >= interval)
                {
                    lastSweep = System.Diagnostics.Stopwatch.GetTimestamp();
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    var all = await db.Workspaces.AsNoTracking().Select(w => w.Id).ToListAsync(stoppingToken);
                    foreach (var ws in all) await RunAsync(ws, sweep: true, stoppingToken);
                }
                await _wakeups.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One workspace's due work; a failure is logged and retried at the next sweep.</summary>
    public async Task RunAsync(string workspaceId, bool sweep, CancellationToken ct)
    {
        try
        {
            await checkpoints.WriteIfDueAsync(workspaceId, force: false, ct);
            if (!sweep) return;
            await anchors.AnchorDueAsync(workspaceId, ct);
            await anchors.RetryFailedWitnessesAsync(workspaceId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex, workspaceId);
        }
    }

    public override void Dispose()
    {
        _wakeups.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Checkpoints or anchors of workspace {Workspace} failed; retrying at the next sweep.")]
    private partial void LogFailed(Exception ex, string workspace);
}
