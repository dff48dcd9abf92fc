using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Detection;

public sealed class DetectionOptions
{
    public const string Section = "Detection";

    /// <summary>Evaluate new events as they are committed. Off: events are stored, detection catches up when turned on.</summary>
    public bool StreamEvaluation { get; set; } = true;

    /// <summary>The safety-net sweep for workspaces whose commit signal was missed.</summary>
    [Range(1, 3600)]
    public int SafetyNetSeconds { get; set; } = 5;

    /// <summary>
    /// After a run that evaluated events, wait this long before the next one so the commits arriving meanwhile are
    /// evaluated together: under load detection then costs one transaction per window instead of one per group commit,
    /// and takes less of the store's write lock from ingest. A first event after quiet is evaluated at once; the price
    /// is at most this much extra alert latency while busy. 0 evaluates after every commit.
    /// </summary>
    [Range(0, 1000)]
    public int BatchWindowMilliseconds { get; set; } = 50;

    /// <summary>How often the scheduled (baseline) rules run.</summary>
    [Range(5, 3600)]
    public int ScheduledRulesSeconds { get; set; } = 60;

    /// <summary>Events per transaction of stream evaluation (alerts + rule memory + checkpoint commit together).</summary>
    [Range(1, 100_000)]
    public int ChunkSize { get; set; } = 1000;

    /// <summary>
    /// Actors whose long-lived rule memory (countries seen, last travel fix) is cached in memory per rule; the rest
    /// is read from the store when an actor's event arrives. Bounds detection's memory whatever the number of actors.
    /// 10 000 per rule holds a large organisation's active actors; 50 000 cost ~35 MB more resident memory in the
    /// distinct-actor flood of scripts/measure-hardening.sh without sparing more than one indexed read per chunk.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxCachedGroups { get; set; } = 10_000;
}
