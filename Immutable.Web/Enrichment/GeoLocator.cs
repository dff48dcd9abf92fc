using System.Net;
using Immutable.Domain.Events;
using Immutable.Web.Net;
using MaxMind.GeoIP2;
using MaxMind.GeoIP2.Exceptions;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Enrichment;

public interface IGeoLocator
{
    bool DatabaseLoaded { get; }

    /// <summary>When MaxMind built the database in use (its metadata's build time); null when none is loaded.</summary>
    DateTimeOffset? DatabaseBuiltAt { get; }

    GeoLocation Locate(IPAddress? address);
}

/// <summary>
/// One shared, thread-safe MaxMind reader, replaced without a restart when the file changes (a check every
/// <c>Geo:ReloadCheckSeconds</c> of its size and last-write time), with a warning when the data is older than
/// <c>Geo:MaxAgeDays</c>.
/// Invariant: a lookup never runs on a disposed reader. Each reader is held by a reference-counted lease: a lookup
/// acquires it, a swap drops the locator's own reference, and the reader is disposed by whoever releases last.
/// The file is read into process memory, not mapped, so a file overwritten in place (not renamed) cannot change
/// or truncate the data under a lookup; a file caught half-written fails to load and is tried again once it changes.
/// </summary>
public sealed partial class MaxMindGeoLocator : IGeoLocator, IHostedService, IDisposable
{
    private readonly string _path;
    private readonly GeoOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MaxMindGeoLocator> _logger;
    private readonly Lock _reloadGate = new();
    private Lease? _current;
    private FileStamp? _loadedStamp;
    private FileStamp? _failedStamp;
    private ITimer? _timer;

    public MaxMindGeoLocator(IOptions<GeoOptions> options, TimeProvider time, ILogger<MaxMindGeoLocator> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _path = Path.IsPathRooted(_options.DatabasePath)
            ? _options.DatabasePath
            : Path.GetFullPath(_options.DatabasePath, Directory.GetCurrentDirectory());
        if (FileStamp.Of(_path) is { } stamp) TryLoad(stamp);
        else LogMissing(_logger, _path);
    }

    public bool DatabaseLoaded => Volatile.Read(ref _current) is not null;

    public DateTimeOffset? DatabaseBuiltAt => Volatile.Read(ref _current)?.BuiltAt;

    public GeoLocation Locate(IPAddress? address)
    {
        if (address is null || !SpecialAddresses.IsPublic(address)) return GeoLocation.Unknown; // private, loopback, documentation...: no location
        var lease = Acquire();
        if (lease is null) return GeoLocation.Unknown;
        try
        {
            if (!lease.Reader.TryCity(address, out var city) || city is null) return GeoLocation.Unknown;
            return new GeoLocation(
                city.Country.IsoCode,
                city.City.Name,
                city.Location.Latitude,
                city.Location.Longitude,
                city.Location.AccuracyRadius,
                city.Location.TimeZone);
        }
        catch (GeoIP2Exception)
        {
            return GeoLocation.Unknown;
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>The current reader's lease, acquired; null when no database is loaded.</summary>
    private Lease? Acquire()
    {
        while (true)
        {
            var lease = Volatile.Read(ref _current);
            if (lease is null || lease.TryAcquire()) return lease;
            // Swapped out and drained between the read and the acquire: the field already holds its successor.
        }
    }

    /// <summary>Loads the file if it changed since the last load (or failed load); keeps the current reader otherwise.</summary>
    public void CheckForChange()
    {
        if (!_reloadGate.TryEnter()) return; // a check is already running
        try
        {
            var stamp = FileStamp.Of(_path);
            if (stamp is null || stamp == _loadedStamp || stamp == _failedStamp) return;
            TryLoad(stamp.Value);
        }
        finally
        {
            _reloadGate.Exit();
        }
    }

    private void TryLoad(FileStamp stamp)
    {
        DatabaseReader? reader = null;
        try
        {
            reader = new DatabaseReader(_path, MaxMind.Db.FileAccessMode.Memory);
            if (FileStamp.Of(_path) != stamp)
            {
                reader.Dispose(); // written while we read it: the next check loads the finished file
                return;
            }
            var builtAt = new DateTimeOffset(DateTime.SpecifyKind(reader.Metadata.BuildDate, DateTimeKind.Utc));
            var previous = Interlocked.Exchange(ref _current, new Lease(reader, builtAt));
            reader = null;
            _loadedStamp = stamp;
            _failedStamp = null;
            previous?.Release();
            if (previous is null) LogLoaded(_logger, _path, builtAt.UtcDateTime);
            else LogReloaded(_logger, _path, builtAt.UtcDateTime);
            var age = _time.GetUtcNow() - builtAt;
            if (age > TimeSpan.FromDays(_options.MaxAgeDays)) LogStale(_logger, _path, builtAt.UtcDateTime, (int)age.TotalDays, _options.MaxAgeDays);
        }
        catch (Exception ex) when (ex is IOException or MaxMind.Db.InvalidDatabaseException or UnauthorizedAccessException)
        {
            reader?.Dispose();
            _failedStamp = stamp;
            if (Volatile.Read(ref _current) is null) LogUnreadable(_logger, ex, _path);
            else LogUnreadableKeptPrevious(_logger, ex, _path);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(_options.ReloadCheckSeconds);
        _timer = _time.CreateTimer(_ => CheckForChange(), null, period, period);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        Interlocked.Exchange(ref _current, null)?.Release();
    }

    /// <summary>Size and last-write time: what changes when geoipupdate or fetch-geo.sh replaces the file.</summary>
    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp? Of(string path)
        {
            var file = new FileInfo(path);
            return file.Exists ? new FileStamp(file.Length, file.LastWriteTimeUtc) : null;
        }
    }

    /// <summary>A reader and its users: the locator's own reference plus one per lookup in flight.</summary>
    private sealed class Lease(DatabaseReader reader, DateTimeOffset builtAt)
    {
        private int _references = 1;

        public DatabaseReader Reader => reader;
        public DateTimeOffset BuiltAt => builtAt;

        public bool TryAcquire()
        {
            while (true)
            {
                var n = Volatile.Read(ref _references);
                if (n == 0) return false; // released for good: never resurrect a disposed reader
                if (Interlocked.CompareExchange(ref _references, n + 1, n) == n) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) reader.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Warning, "GeoIP database not found at {Path}: events are stored without country/city until it appears (the file is checked again periodically). Run ./scripts/fetch-geo.sh or set Geo:DatabasePath.")]
    private static partial void LogMissing(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "GeoIP database at {Path} could not be read: events are stored without country/city.")]
    private static partial void LogUnreadable(ILogger logger, Exception ex, string path);

    [LoggerMessage(LogLevel.Warning, "GeoIP database at {Path} changed but could not be read; the previously loaded one stays in use.")]
    private static partial void LogUnreadableKeptPrevious(ILogger logger, Exception ex, string path);

    [LoggerMessage(LogLevel.Information, "GeoIP database loaded from {Path} (built {Built:yyyy-MM-dd}).")]
    private static partial void LogLoaded(ILogger logger, string path, DateTime built);

    [LoggerMessage(LogLevel.Information, "GeoIP database reloaded from {Path} (built {Built:yyyy-MM-dd}); the previous one is released after lookups in flight.")]
    private static partial void LogReloaded(ILogger logger, string path, DateTime built);

    [LoggerMessage(LogLevel.Warning, "GeoIP database at {Path} was built {Built:yyyy-MM-dd}, {AgeDays} days ago (Geo:MaxAgeDays is {MaxAgeDays}): countries of reassigned address ranges may be wrong. Update it with geoipupdate or ./scripts/fetch-geo.sh --refresh; the app picks up the new file without a restart.")]
    private static partial void LogStale(ILogger logger, string path, DateTime built, int ageDays, int maxAgeDays);
}
