using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Streams;

public sealed class LogStreamOptions
{
    public const string Section = "LogStreams";

    /// <summary>Failed delivery attempts in a row after which a stream goes to "error" and stops until re-enabled.</summary>
    [Range(1, 100)]
    public int ErrorAfterFailures { get; set; } = 3;

    /// <summary>
    /// Events at most in one delivery when the stream is behind (busy): one signed POST carries them all. Every delivery
    /// costs the outbox a few write transactions beside the chain writer's, so fewer, larger deliveries take less from
    /// ingest: at 100 a stream cost ingest 23 % more app CPU per event at 64 connections, at 1000 6–16 %
    /// (scripts/measure-stream.sh; docs/viewer-and-streams.md, "Throughput").
    /// </summary>
    [Range(1, 1000)]
    public int MaxEventsPerDelivery { get; set; } = 1000;

    /// <summary>Bytes of event JSON at most in one delivery (a batch closes early when its events are big).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBytesPerDelivery { get; set; } = 1024 * 1024;

    /// <summary>
    /// After a pump that wrote deliveries, how long the worker lets new events gather before the next one (real time):
    /// under load a stream then costs one outbox row and one POST per window instead of one per commit, so it takes
    /// less from ingest; the price is at most this much extra delay while busy.
    /// </summary>
    [Range(0, 5000)]
    public int BatchWindowMilliseconds { get; set; } = 200;

    /// <summary>The safety-net sweep (streams also wake on every commit): catches up after a restart or a lost wake-up.</summary>
    [Range(1, 3600)]
    public int SweepSeconds { get; set; } = 5;
}
