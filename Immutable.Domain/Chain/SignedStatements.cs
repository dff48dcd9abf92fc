using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Immutable.Domain.Chain;

/// <summary>
/// A signed statement that a workspace's chain had this head: every event from <see cref="FirstSequence"/> to
/// <see cref="Sequence"/> has the Merkle root <see cref="MerkleRoot"/>, and event <see cref="Sequence"/> has the hash
/// <see cref="HeadHash"/>.
/// </summary>
public sealed record Checkpoint(
    string WorkspaceId,
    long FirstSequence,
    long Sequence,
    string HeadHash,
    string MerkleRoot,
    DateTime CreatedAt,
    string KeyId,
    string Signature)
{
    public string Statement() => SignedStatements.CheckpointText(this);
}

/// <summary>
/// A Merkle anchor: the root of a period's event hashes in chain order, linked to the previous anchor by
/// <see cref="PreviousAnchorHash"/> and itself hashed (<see cref="AnchorHash"/>, over its statement) and signed.
/// </summary>
public sealed record Anchor(
    string Id,
    string WorkspaceId,
    DateTime PeriodStart,
    DateTime PeriodEnd,
    long FirstSequence,
    long LastSequence,
    string FirstEventHash,
    string LastEventHash,
    string MerkleRoot,
    string? PreviousAnchorHash,
    DateTime CreatedAt,
    string KeyId,
    string Signature)
{
    public long EventsCount => LastSequence - FirstSequence + 1;

    public string Statement() => SignedStatements.AnchorText(this);

    /// <summary>SHA-256 of the statement: what the next anchor links to and what witnesses timestamp.</summary>
    public string AnchorHash => SignedStatements.Sha256Hex(Statement());
}

/// <summary>
/// The exact bytes that are signed (docs/hash-chain.md): a canonical JSON object, keys sorted, no whitespace, times as
/// in events, hashes as lowercase hex. The signature is ECDSA P-256 over SHA-256 of the UTF-8 text, as IEEE P1363
/// (r ‖ s, 64 bytes), base64. Invariant: every field a verifier relies on is inside the signed text, including the
/// workspace, so a statement cannot be replayed for another workspace or range.
/// </summary>
public static class SignedStatements
{
    public const string Algorithm = "ES256";

    public static string CheckpointText(Checkpoint c)
    {
        var sb = new StringBuilder(320);
        sb.Append('{');
        Str(sb, "created_at", Timestamps.ToIso(c.CreatedAt), first: true);
        Num(sb, "first_sequence", c.FirstSequence);
        Str(sb, "head_hash", c.HeadHash);
        Str(sb, "key_id", c.KeyId);
        Str(sb, "merkle_root", c.MerkleRoot);
        Num(sb, "sequence", c.Sequence);
        Str(sb, "type", "checkpoint");
        Num(sb, "v", 1);
        Str(sb, "workspace_id", c.WorkspaceId);
        sb.Append('}');
        return sb.ToString();
    }

    public static string AnchorText(Anchor a)
    {
        var sb = new StringBuilder(512);
        sb.Append('{');
        Str(sb, "created_at", Timestamps.ToIso(a.CreatedAt), first: true);
        Num(sb, "events_count", a.EventsCount);
        Str(sb, "first_event_hash", a.FirstEventHash);
        Num(sb, "first_sequence", a.FirstSequence);
        Str(sb, "id", a.Id);
        Str(sb, "key_id", a.KeyId);
        Str(sb, "last_event_hash", a.LastEventHash);
        Num(sb, "last_sequence", a.LastSequence);
        Str(sb, "merkle_root", a.MerkleRoot);
        Str(sb, "period_end", Timestamps.ToIso(a.PeriodEnd));
        Str(sb, "period_start", Timestamps.ToIso(a.PeriodStart));
        Str(sb, "previous_anchor_hash", a.PreviousAnchorHash);
        Str(sb, "type", "anchor");
        Num(sb, "v", 1);
        Str(sb, "workspace_id", a.WorkspaceId);
        sb.Append('}');
        return sb.ToString();
    }

    public static string Sign(string statement, ECDsa key) =>
        Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(statement), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public static bool Verify(string statement, string signatureBase64, ECDsa publicKey)
    {
        Span<byte> signature = stackalloc byte[72];
        if (!Convert.TryFromBase64String(signatureBase64, signature, out var length) || length != 64) return false;
        return publicKey.VerifyData(Encoding.UTF8.GetBytes(statement), signature[..length], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The key id: the first 16 hex characters of SHA-256 over the public key's SubjectPublicKeyInfo (DER).</summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static void Str(StringBuilder sb, string name, string? value, bool first = false)
    {
        if (!first) sb.Append(',');
        CanonicalJson.WriteString(sb, name);
        sb.Append(':');
        if (value is null) sb.Append("null");
        else CanonicalJson.WriteString(sb, value);
    }

    private static void Num(StringBuilder sb, string name, long value)
    {
        sb.Append(',');
        CanonicalJson.WriteString(sb, name);
        sb.Append(':').Append(value.ToString(CultureInfo.InvariantCulture));
    }
}
