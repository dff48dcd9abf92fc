namespace Immutable.Web.Enrichment;

public sealed class GeoOptions
{
    public const string Section = "Geo";

    /// <summary>Path of a MaxMind City database (.mmdb). run.sh and test.sh fetch GeoLite2 City here.</summary>
    public string DatabasePath { get; set; } = ".cache/geo/GeoLite2-City.mmdb";

    /// <summary>
    /// Proxies (IPs or CIDRs) whose X-Forwarded-For is believed. Empty: the header is ignored and the
    /// TCP peer is the caller.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}
