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
    GeoLocation Locate(IPAddress? address);
}

/// <summary>One shared, thread-safe MaxMind reader (memory-mapped) for the life of the process.</summary>
public sealed partial class MaxMindGeoLocator : IGeoLocator, IDisposable
{
    private readonly DatabaseReader? _reader;

    public MaxMindGeoLocator(IOptions<GeoOptions> options, ILogger<MaxMindGeoLocator> logger)
    {
        var path = Path.IsPathRooted(options.Value.DatabasePath)
            ? options.Value.DatabasePath
            : Path.GetFullPath(options.Value.DatabasePath, Directory.GetCurrentDirectory());
        if (!File.Exists(path))
        {
            LogMissing(logger, path);
            return;
        }
        try
        {
            _reader = new DatabaseReader(path, MaxMind.Db.FileAccessMode.MemoryMapped);
            LogLoaded(logger, path, _reader.Metadata.DatabaseType, _reader.Metadata.BuildDate);
        }
        catch (Exception ex) when (ex is IOException or MaxMind.Db.InvalidDatabaseException or UnauthorizedAccessException)
        {
            LogUnreadable(logger, ex, path);
        }
    }

    public bool DatabaseLoaded => _reader is not null;

    public GeoLocation Locate(IPAddress? address)
    {
        if (_reader is null || address is null || !SpecialAddresses.IsPublic(address)) return GeoLocation.Unknown; // private, loopback, documentation...: no location
        try
        {
            if (!_reader.TryCity(address, out var city) || city is null) return GeoLocation.Unknown;
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
    }

    public void Dispose() => _reader?.Dispose();

    [LoggerMessage(LogLevel.Warning, "GeoIP database not found at {Path}: events are stored without country/city. Run ./run.sh (it fetches GeoLite2 City) or set Geo:DatabasePath.")]
    private static partial void LogMissing(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "GeoIP database at {Path} could not be read: events are stored without country/city.")]
    private static partial void LogUnreadable(ILogger logger, Exception ex, string path);

    [LoggerMessage(LogLevel.Information, "GeoIP database loaded from {Path} ({Type}, built {Built:yyyy-MM-dd}).")]
    private static partial void LogLoaded(ILogger logger, string path, string type, DateTime built);
}
