namespace Immutable.Web.Components.Shared.Charts;

/// <summary>How a period is cut into a chart's bars: a round width that gives at most <see cref="MaxBars"/> of them.</summary>
public static class ChartBuckets
{
    public const int MaxBars = 60;

    private static readonly TimeSpan[] Widths =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12),
        TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(30),
    ];

    /// <summary>The bar width for [from, to), and <paramref name="from"/> moved back to a multiple of it (bars start on round times).</summary>
    public static (DateTime From, TimeSpan Size) For(DateTime from, DateTime to)
    {
        var span = to > from ? to - from : TimeSpan.FromMinutes(1);
        var size = Widths.FirstOrDefault(w => span / w <= MaxBars, Widths[^1]);
        if (span / size > MaxBars) size = TimeSpan.FromTicks((span.Ticks + MaxBars - 1) / MaxBars);
        return (new DateTime(from.Ticks - from.Ticks % size.Ticks, DateTimeKind.Utc), size);
    }
}
