using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Immutable.Web.Exports;

/// <summary>
/// Signed download links: <c>/api/v1/exports/{id}/download?token=…</c> works without the API key, so an export can be
/// handed to a browser or a colleague. The token is the export id and its expiry, authenticated and encrypted with the
/// host's Data Protection keys (the same key ring as the dashboard's cookies, kept in the data folder).
/// Invariant: a token opens only the export it names, and only until that export's expiry; anything else (tampered,
/// another export's, signed by another key ring) is refused before the export is looked up.
/// </summary>
public sealed class ExportDownloadLinks(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Immutable.Exports.Download.v1");

    public string PathFor(string exportId, DateTime expiresAt) =>
        $"/api/v1/exports/{exportId}/download?token={_protector.Protect($"{exportId}\n{expiresAt.Ticks.ToString(CultureInfo.InvariantCulture)}")}";

    /// <summary>The expiry a token was issued with when it is authentic and names <paramref name="exportId"/>; null otherwise.</summary>
    public DateTime? ExpiryOf(string token, string exportId)
    {
        string payload;
        try { payload = _protector.Unprotect(token); }
        catch (Exception ex) when (ex is CryptographicException or FormatException) { return null; }
        var parts = payload.Split('\n');
        return parts.Length == 2
            && string.Equals(parts[0], exportId, StringComparison.Ordinal)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks is >= 0 and <= 3155378975999999999
            ? new DateTime(ticks, DateTimeKind.Utc)
            : null;
    }
}
