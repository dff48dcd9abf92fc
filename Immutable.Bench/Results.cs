using System.Globalization;

namespace Immutable.Bench;

/// <summary>
/// One bench run's figures, as "name value" lines appended to a file by each mode and read back by the report,
/// so the report can put every product figure beside its ceiling measured in the same run.
/// </summary>
internal static class BenchResults
{
    public static void Record(string? file, string name, double value)
    {
        if (string.IsNullOrEmpty(file)) return;
        // BENCH_RESULTS_PREFIX (e.g. "pg.i2."): the same steps recorded under another name, as ./bench.sh --postgres does.
        var prefix = Environment.GetEnvironmentVariable("BENCH_RESULTS_PREFIX") ?? "";
        File.AppendAllText(file, string.Create(CultureInfo.InvariantCulture, $"{prefix}{name} {value:R}\n"));
    }

    public static Dictionary<string, double> Read(string file) =>
        File.ReadAllLines(file)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => double.Parse(g.Last()[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    public static double Percentile(IReadOnlyList<double> sortedAscending, double p) =>
        sortedAscending.Count == 0
            ? double.NaN
            : sortedAscending[Math.Clamp((int)Math.Ceiling(p / 100 * sortedAscending.Count) - 1, 0, sortedAscending.Count - 1)];
}
