using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Immutable.Web.Delivery.Webhook;

/// <summary>
/// Webhook signatures (docs/webhooks.md).
/// Invariant: a receiver holding the endpoint's secret can check that the exact body bytes came from us —
/// <c>X-Immutable-Signature: sha256=hex(HMAC-SHA256(secret, body))</c>, the header existing receivers verify —
/// and, with <c>X-Immutable-Signature-Timestamped: t=&lt;unix&gt;,sha256=hex(HMAC(secret, "&lt;unix&gt;.&lt;body&gt;"))</c>,
/// that it is not a replay older than its tolerance window. The secret never leaves this process otherwise.
/// </summary>
public static class WebhookSigner
{
    public const string SignatureHeader = "X-Immutable-Signature";
    public const string TimestampedSignatureHeader = "X-Immutable-Signature-Timestamped";
    public const string TimestampHeader = "X-Immutable-Timestamp";
    public const string DeliveryHeader = "X-Immutable-Delivery";
    public const string EventHeader = "X-Immutable-Event";

    public static string NewSecret() => "whsec_" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 43);

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static string SignTimestamped(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},sha256={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message))}";
    }

    /// <summary>What a receiver does: constant-time compare of the expected and presented signatures.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(presented));
}
