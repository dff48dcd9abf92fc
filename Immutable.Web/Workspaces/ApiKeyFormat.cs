using System.Security.Cryptography;
using System.Text;

namespace Immutable.Web.Workspaces;

/// <summary>
/// API keys are <c>imk_</c> + 44 base62 characters (≈ 262 bits, more than 32 random bytes).
/// Invariant: only the SHA-256 of a key is stored; a plain fast hash is right here because the key is
/// high-entropy random (no dictionary to try), and lookups by hash are exact. The prefix (first 12
/// characters) is kept in clear so people can tell keys apart and revoke one by it.
/// </summary>
public static class ApiKeyFormat
{
    public const string Scheme = "imk_";
    public const int RandomLength = 44;
    public const int PrefixLength = 12;
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static readonly System.Buffers.SearchValues<char> Base62Chars = System.Buffers.SearchValues.Create(Base62);

    public static string NewKey() => Scheme + RandomNumberGenerator.GetString(Base62, RandomLength);

    public static string NewId(string prefix, int length = 20) => prefix + RandomNumberGenerator.GetString(Base62, length);

    public static string Prefix(string key) => key[..Math.Min(PrefixLength, key.Length)];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new key and the row that stores it (id, prefix, hash; never the key). The CLI and the service both use it.</summary>
    public static (string Key, Storage.ApiKeyRecord Row) NewKeyRow(string workspaceId, string label, DateTimeOffset now)
    {
        var key = NewKey();
        return (key, new Storage.ApiKeyRecord
        {
            Id = NewId("key_"),
            WorkspaceId = workspaceId,
            Label = label,
            Prefix = Prefix(key),
            KeyHash = Hash(key),
            CreatedAt = Immutable.Domain.Chain.Timestamps.ToMicroseconds(now),
        });
    }

    /// <summary>Shape check before any database work: wrong shapes are rejected cheaply.</summary>
    public static bool LooksValid(string key) =>
        key.Length == Scheme.Length + RandomLength
        && key.StartsWith(Scheme, StringComparison.Ordinal)
        && key.AsSpan(Scheme.Length).IndexOfAnyExcept(Base62Chars) < 0;
}
