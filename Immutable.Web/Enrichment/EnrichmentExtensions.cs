using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Immutable.Web.Enrichment;

public static class EnrichmentExtensions
{
    public static IHostApplicationBuilder AddEnrichment(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(GeoOptions.Section);
        builder.Services.AddOptions<GeoOptions>().Bind(section).ValidateDataAnnotations()
            .Validate(o => o.TrustedProxies.All(p => TryParseNetwork(p, out _)), "Geo:TrustedProxies holds an entry that is not an IP or CIDR.")
            .ValidateOnStart();
        // Started with the host: the database is loaded (and its age checked) at start, then watched for replacement.
        builder.Services.AddSingleton<MaxMindGeoLocator>();
        builder.Services.AddSingleton<IGeoLocator>(sp => sp.GetRequiredService<MaxMindGeoLocator>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MaxMindGeoLocator>());

        // X-Forwarded-For and X-Forwarded-Proto are believed only from the configured proxies (none by default): behind
        // a TLS-terminating proxy the request is https, so cookies are Secure and links built from the request are https.
        var proxies = section.GetSection(nameof(GeoOptions.TrustedProxies)).Get<List<string>>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            o.ForwardLimit = 1;
            foreach (var entry in proxies)
                if (TryParseNetwork(entry, out var network)) o.KnownIPNetworks.Add(network);
        });
        return builder;
    }

    /// <summary>
    /// Invariant: X-Forwarded-For changes the caller's address only when the TCP peer is a configured proxy.
    /// With no proxies configured the middleware is not installed at all, so the header is never read.
    /// </summary>
    public static WebApplication UseTrustedProxyForwarding(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GeoOptions>>().Value.TrustedProxies;
        if (proxies.Count > 0) app.UseForwardedHeaders();
        return app;
    }

    public static bool TryParseNetwork(string text, out System.Net.IPNetwork network)
    {
        if (System.Net.IPNetwork.TryParse(text, out network)) return true;
        if (IPAddress.TryParse(text, out var address))
        {
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return false;
    }
}
