using System.Globalization;

namespace Immutable.Web.Components.Shared;

/// <summary>
/// The zone a viewer reads times in, one per circuit: the browser's own zone (sent once by the layout, checked here
/// against the IANA database: the browser's word is not trusted) unless the viewer switched to UTC (remembered in
/// the browser's localStorage). Every time the dashboard shows goes through <see cref="Format"/>, one line each.
/// </summary>
public sealed class ViewerTime
{
    /// <summary>The localStorage key of the UTC switch.</summary>
    public const string UtcKey = "immutable.utc";

    /// <summary>The browser's zone, when it sent one the server knows; null until then (times show in UTC).</summary>
    public TimeZoneInfo? BrowserZone { get; private set; }
    public bool Utc { get; private set; }
    public TimeZoneInfo Zone => Utc || BrowserZone is null ? TimeZoneInfo.Utc : BrowserZone;
    /// <summary>"UTC" or the IANA id, for column headings.</summary>
    public string ZoneName => Zone == TimeZoneInfo.Utc ? "UTC" : Zone.Id;

    /// <summary>Raised when the zone changes: shown times render again.</summary>
    public event Action? Changed;

    /// <summary>Takes the browser's reported zone if it is a known IANA id; anything else is ignored (UTC stays).</summary>
    public void SetBrowser(string? ianaId, bool utc)
    {
        BrowserZone = TryFindIana(ianaId);
        Utc = utc;
        Changed?.Invoke();
    }

    public void SetUtc(bool utc)
    {
        Utc = utc;
        Changed?.Invoke();
    }

    /// <summary>A known IANA zone id (<c>Europe/Bucharest</c>), or null: Windows ids, offsets and junk are refused.</summary>
    public static TimeZoneInfo? TryFindIana(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '+')) return null;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)) return null;
        return zone.HasIanaId ? zone : null;
    }

    /// <summary>A stored UTC time in the viewer's zone: <c>2026-12-02 16:05:09</c> (or to the minute).</summary>
    public string Format(DateTime utc, bool seconds = true) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone)
            .ToString(seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The input form of a time (ISO without offset, read back in the same zone by <see cref="TimeRange.TryParseIso"/>).</summary>
    public string FormatInput(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
}
