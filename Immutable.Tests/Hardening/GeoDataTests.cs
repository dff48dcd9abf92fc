using System.Net;
using Immutable.Tests.TestSupport;
using Immutable.Web.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Immutable.Tests.Hardening;

/// <summary>Geo data: its age is checked at start, /readyz reports it, and a replaced file is used without a restart.</summary>
public sealed class GeoDataTests : IDisposable
{
    private const string GeoCategory = "Immutable.Web.Enrichment.MaxMindGeoLocator";
    private const string LondonIp = "81.2.69.142";
    private readonly string _folder = Directory.CreateTempSubdirectory("immutable-geo-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static DateTimeOffset BuiltAt(string path)
    {
        using var reader = new MaxMind.Db.Reader(path);
        return new DateTimeOffset(DateTime.SpecifyKind(reader.Metadata.BuildDate, DateTimeKind.Utc));
    }

    /// <summary>Replaces the file by rename, as geoipupdate and fetch-geo.sh do.</summary>
    private static void Replace(string target, Action<string> writeTo, DateTime lastWriteUtc)
    {
        var partial = target + ".partial";
        writeTo(partial);
        File.SetLastWriteTimeUtc(partial, lastWriteUtc);
        File.Move(partial, target, overwrite: true);
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, Action tick)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var value = await read();
        while (!done(value) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            tick();
            await Task.Delay(50);
            value = await read();
        }
        return value;
    }

    private static async Task<string?> CountryOfAsync(HttpClient client, string ip)
    {
        var id = await client.IngestAsync(new { actor_id = "u", action = "auth.login", ip_address = ip });
        return (await client.GetJsonAsync($"/api/v1/events/{id}"))["data"]!["ip_country"]?.GetValue<string>();
    }

    [Theory]
    [InlineData(61, null, true)]  // default threshold, 60 days
    [InlineData(59, null, false)]
    [InlineData(11, 10, true)]    // Geo:MaxAgeDays
    [InlineData(9, 10, false)]
    public async Task DatabaseOlderThanMaxAgeDays_IsWarnedAboutAtStart(int daysAfterBuild, int? maxAgeDays, bool warned)
    {
        var built = BuiltAt(TestPaths.GeoDatabase);
        using var app = new LoggedAppFactory(built.AddDays(daysAfterBuild));
        if (maxAgeDays is { } days) app.With("Geo:MaxAgeDays", days.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _ = app.Services; // the host has started
        await Task.Yield();

        var stale = app.Logs.Warnings(GeoCategory).Where(e => e.Message.Contains("days ago", StringComparison.Ordinal)).ToList();
        if (warned)
        {
            var warning = Assert.Single(stale);
            Assert.Contains($"built {built.UtcDateTime:yyyy-MM-dd}, {daysAfterBuild} days ago", warning.Message, StringComparison.Ordinal);
            Assert.Contains($"Geo:MaxAgeDays is {maxAgeDays ?? 60}", warning.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(stale);
        }
        Assert.Contains(app.Logs.Entries, e => e.Category == GeoCategory && e.Message.StartsWith("GeoIP database loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readyz_ReportsTheGeoDatabaseBuildTime()
    {
        using var app = new ImmutableAppFactory();
        var ready = await app.CreateClient().GetJsonAsync("/readyz");
        Assert.Equal("loaded", ready["geo_database"]!.GetValue<string>());
        Assert.Equal(BuiltAt(TestPaths.GeoDatabase), DateTimeOffset.Parse(ready["geo_database_built_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task DatabaseCopiedInAfterStart_IsUsedWithoutRestart()
    {
        var path = Path.Combine(_folder, "GeoLite2-City.mmdb");
        using var app = new ImmutableAppFactory().With("Geo:DatabasePath", path).With("Geo:ReloadCheckSeconds", "1");
        var client = await app.CreateWorkspaceClientAsync();
        Assert.Null(await CountryOfAsync(client, LondonIp));
        var before = await client.GetJsonAsync("/readyz");
        Assert.Equal("missing", before["geo_database"]!.GetValue<string>());
        Assert.Null(before["geo_database_built_at"]);

        Replace(path, p => File.Copy(TestPaths.GeoDatabase, p), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var country = await PollAsync(() => CountryOfAsync(client, LondonIp), c => c is not null, () => app.Time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal("GB", country);
        var after = await client.GetJsonAsync("/readyz");
        Assert.Equal("loaded", after["geo_database"]!.GetValue<string>());
        Assert.Equal(BuiltAt(TestPaths.GeoDatabase), DateTimeOffset.Parse(after["geo_database_built_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ReplacedDatabase_IsSwappedWithoutRestart_AndAnUnreadableReplacementKeepsThePreviousOne()
    {
        var path = Path.Combine(_folder, "GeoLite2-City.mmdb");
        var tinyBuilt = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
        Replace(path, p => TinyGeoDatabase.Write(p, 81, "ZZ", "Testville", tinyBuilt), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        using var app = new LoggedAppFactory();
        app.With("Geo:DatabasePath", path).With("Geo:ReloadCheckSeconds", "1");
        var client = await app.CreateWorkspaceClientAsync();
        Assert.Equal("ZZ", await CountryOfAsync(client, LondonIp));
        Assert.Equal(tinyBuilt, DateTimeOffset.Parse((await client.GetJsonAsync("/readyz"))["geo_database_built_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(await CountryOfAsync(client, "8.8.8.8")); // outside the tiny database's one network

        // A truncated download replaces it: the loaded database stays in use, and the operator is told.
        Replace(path, p => File.WriteAllBytes(p, File.ReadAllBytes(TestPaths.GeoDatabase).AsSpan(0, 1 << 20).ToArray()), new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        await PollAsync(() => Task.FromResult(app.Logs.Warnings(GeoCategory).Count()), n => n > 0, () => app.Time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Contains(app.Logs.Warnings(GeoCategory), e => e.Message.Contains("previously loaded one stays in use", StringComparison.Ordinal));
        Assert.Equal("ZZ", await CountryOfAsync(client, LondonIp));

        // The real database replaces it: lookups change, /readyz reports the new build time, no restart.
        Replace(path, p => File.Copy(TestPaths.GeoDatabase, p), new DateTime(2026, 1, 3, 0, 0, 0, DateTimeKind.Utc));
        var country = await PollAsync(() => CountryOfAsync(client, LondonIp), c => c == "GB", () => app.Time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal("GB", country);
        Assert.Equal("US", await CountryOfAsync(client, "8.8.8.8"));
        var ready = await client.GetJsonAsync("/readyz");
        Assert.Equal(BuiltAt(TestPaths.GeoDatabase), DateTimeOffset.Parse(ready["geo_database_built_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(app.Logs.Entries, e => e.Category == GeoCategory && e.Message.StartsWith("GeoIP database reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LookupsInFlight_DuringRepeatedSwaps_NeverFailOrSeeAReleasedReader()
    {
        var path = Path.Combine(_folder, "swap.mmdb");
        var built = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var lastWrite = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        Replace(path, p => TinyGeoDatabase.Write(p, 81, "AA", "Alpha", built), lastWrite);
        using var locator = new MaxMindGeoLocator(Options.Create(new GeoOptions { DatabasePath = path }), new FakeTimeProvider(built.AddDays(1)), NullLogger<MaxMindGeoLocator>.Instance);
        var address = IPAddress.Parse(LondonIp);
        Assert.Equal("AA", locator.Locate(address).CountryCode);

        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) seen.AddOrUpdate(locator.Locate(address).CountryCode ?? "(none)", 1, (_, n) => n + 1);
        })).ToArray();
        while (seen.IsEmpty) await Task.Delay(1); // the readers are running
        for (var i = 1; i <= 40; i++)
        {
            await Task.Delay(2); // lookups on the current reader while the next one is written
            var (code, city) = i % 2 == 0 ? ("AA", "Alpha") : ("BB", "Bravo");
            Replace(path, p => TinyGeoDatabase.Write(p, 81, code, city, built), lastWrite.AddMinutes(i));
            locator.CheckForChange();
            Assert.Equal(code, locator.Locate(address).CountryCode);
        }
        stop.Cancel();
        await Task.WhenAll(readers); // a lookup on a released reader would have thrown (or crashed the process)
        Assert.Equal(["AA", "BB"], seen.Keys.Order());
    }
}
