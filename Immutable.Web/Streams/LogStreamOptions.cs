using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Streams;

public sealed class LogStreamOptions
{
    public const string Section = "LogStreams";

    /// <summary>Failed delivery attempts in a row after which a stream goes to "error" and stops until re-enabled.</summary>
    [Range(1, 100)]
    public int ErrorAfterFailures { get; set; } = 3;

    /// <summary>Events at most in one delivery when the stream is behind (busy): one signed POST carries them all.</summary>
    [Range(1, 1000)]
    public int MaxEventsPerDelivery { get; set; } = 100;

    /// <summary>Bytes of event JSON at most in one delivery (a batch closes early when its events are big).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBytesPerDelivery { get; set; } = 1024 * 1024;

    /// <summary>The safety-net sweep (streams also wake on every commit): catches up after a restart or a lost wake-up.</summary>
    [Range(1, 3600)]
    public int SweepSeconds { get; set; } = 5;
}
