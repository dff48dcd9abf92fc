using System.Security.Cryptography;
using System.Text;

namespace Immutable.Domain.Alerts;

/// <summary>
/// Name-based ids (UUID version-5 layout over SHA-256) for records that evaluation may produce more than once
/// (alerts, observations): the same parts always give the same id, so a unique index refuses a second copy.
/// </summary>
public static class RecordIds
{
    public static string Derive(string prefix, params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return prefix + new Guid(bytes, bigEndian: true).ToString("D");
    }
}
