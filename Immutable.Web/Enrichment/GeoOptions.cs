using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Enrichment;

public sealed class GeoOptions
{
    public const string Section = "Geo";

    /// <summary>Path of a MaxMind City database (.mmdb). run.sh and test.sh fetch GeoLite2 City here.</summary>
    public string DatabasePath { get; set; } = ".cache/geo/GeoLite2-City.mmdb";

    /// <summary>A database built longer ago than this is warned about when loaded (reassigned ranges drift).</summary>
    [Range(1, 3650)]
    public int MaxAgeDays { get; set; } = 60;

    /// <summary>How often the database file is checked for a replacement (size or last-write time changed).</summary>
    [Range(1, 86400)]
    public int ReloadCheckSeconds { get; set; } = 30;

    /// <summary>
    /// Proxies (IPs or CIDRs) whose X-Forwarded-For is believed. Empty: the header is ignored and the
    /// TCP peer is the caller.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}
