using System.Net;
using System.Net.Sockets;
using Immutable.Web.Enrichment;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// SSRF guard for webhook URLs.
/// Invariant: we only ever connect to an http(s) URL whose host resolves — at save time and again at connect
/// time, since DNS can change — to public unicast addresses, unless the operator allowed the host or its network
/// in <c>Webhooks:AllowedPrivateHosts</c>. Redirects are never followed (a public URL could redirect inward).
/// Loopback, private (RFC 1918, CGNAT, ULA), link-local (incl. the 169.254.169.254 metadata address), multicast
/// and unspecified addresses are refused.
/// </summary>
public sealed class WebhookUrlGuard(IOptions<WebhookOptions> options)
{
    /// <summary>Checks a URL to be saved; returns the reason it is refused, or null.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "must be an absolute http or https URL";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not contain credentials";
        if (url.Length > 2048) return "must be at most 2048 characters";
        try
        {
            var addresses = await ResolveAsync(uri.IdnHost, ct);
            return addresses.Length == 0 ? "does not resolve to any address" : null;
        }
        catch (SocketException)
        {
            return "does not resolve (DNS lookup failed)";
        }
        catch (BlockedAddressException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The addresses a connection may use, or an exception naming the blocked one.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowedHost = options.Value.AllowedPrivateHosts.Any(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase));
        foreach (var address in addresses)
        {
            var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (MaxMindGeoLocator.IsPublic(a) || allowedHost || IsAllowedNetwork(a)) continue;
            throw new BlockedAddressException($"resolves to {a}, a private, loopback, link-local or multicast address (allow it in Webhooks:AllowedPrivateHosts)");
        }
        return addresses;
    }

    private bool IsAllowedNetwork(IPAddress address) =>
        options.Value.AllowedPrivateHosts.Any(entry => EnrichmentExtensions.TryParseNetwork(entry, out var network) && network.Contains(address));

    /// <summary>For the HTTP handler: resolve, check, and connect to a checked address only.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

public sealed class BlockedAddressException(string message) : Exception(message);
