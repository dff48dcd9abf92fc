using System.Security.Cryptography;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <summary>Where the integrity files live: the signing key and the out-of-database witness of the latest checkpoints.</summary>
public sealed class IntegrityPaths(IOptions<IntegrityOptions> options, StorageDataDirectory dataDirectory)
{
    /// <summary>The data folder (<see cref="StorageExtensions.ResolveDataDirectory"/>): the default home of <c>keys/</c> and <c>witness/</c>.</summary>
    public string DataDirectory => dataDirectory.Path;

    public string SigningKeyPath => Path.GetFullPath(options.Value.SigningKeyPath ?? Path.Combine(DataDirectory, "keys", "checkpoint-signing.pem"));

    public string WitnessDirectory => Path.GetFullPath(options.Value.WitnessPath ?? Path.Combine(DataDirectory, "witness"));
}

/// <param name="Current">True for the key that signs new checkpoints and anchors; the others only verify old ones.</param>
public sealed record PublicKeyInfo(string KeyId, string Algorithm, string PublicKeyPem, bool Current);

/// <summary>
/// The key that signs checkpoints and anchors, kept in a file and never in the database: someone who can rewrite the
/// database cannot forge a statement. ECDSA P-256 (ES256) from the framework — no native dependency to ship, FIPS
/// approved, and verifiable with stock OpenSSL, Node, browsers and Java.
/// Invariant: only keys found beside the signing key (the current one and <c>retired/*.pub.pem</c>) are trusted; a key
/// id or public key written into the database proves nothing.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    private readonly ECDsa _signing;
    private readonly Dictionary<string, ECDsa> _trusted = new(StringComparer.Ordinal);

    public SigningKeys(IntegrityPaths paths) : this(paths.SigningKeyPath) { }

    public SigningKeys(string signingKeyPath)
    {
        _signing = LoadOrCreate(signingKeyPath);
        KeyId = SignedStatements.KeyId(_signing);
        _trusted[KeyId] = _signing;
        var retired = RetiredDirectory(signingKeyPath);
        if (Directory.Exists(retired))
        {
            foreach (var file in Directory.EnumerateFiles(retired, "*.pub.pem").Order(StringComparer.Ordinal))
            {
                var key = ECDsa.Create();
                key.ImportFromPem(File.ReadAllText(file));
                if (!IsP256(key)) throw new InvalidOperationException($"The retired key {file} is not an ECDSA P-256 key.");
                _trusted.TryAdd(SignedStatements.KeyId(key), key);
            }
        }
    }

    public string KeyId { get; }

    public string Sign(string statement) => SignedStatements.Sign(statement, _signing);

    /// <summary>True when a trusted key with this id signed exactly this statement.</summary>
    public bool Verify(string statement, string keyId, string signature) =>
        _trusted.TryGetValue(keyId, out var key) && SignedStatements.Verify(statement, signature, key);

    public IReadOnlyList<PublicKeyInfo> PublicKeys =>
        _trusted.Select(kv => new PublicKeyInfo(kv.Key, SignedStatements.Algorithm, kv.Value.ExportSubjectPublicKeyInfoPem(), kv.Key == KeyId))
            .OrderByDescending(k => k.Current).ThenBy(k => k.KeyId, StringComparer.Ordinal).ToList();

    public string CurrentPublicKeyPem => _signing.ExportSubjectPublicKeyInfoPem();

    /// <summary>
    /// Replaces the signing key with a new one; the old public key moves to <c>retired/</c> so statements it signed
    /// still verify. The running server picks the new key up at its next start.
    /// </summary>
    public static (string OldKeyId, string NewKeyId) Rotate(string signingKeyPath)
    {
        using var old = LoadOrCreate(signingKeyPath);
        var oldId = SignedStatements.KeyId(old);
        var retired = RetiredDirectory(signingKeyPath);
        Directory.CreateDirectory(retired);
        File.WriteAllText(Path.Combine(retired, oldId + ".pub.pem"), old.ExportSubjectPublicKeyInfoPem());
        using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WritePrivate(signingKeyPath, fresh);
        return (oldId, SignedStatements.KeyId(fresh));
    }

    /// <summary>NIST P-256 by its OID (a 256-bit key of another curve, e.g. brainpoolP256, is refused).</summary>
    private static bool IsP256(ECDsa key) => key.ExportParameters(false).Curve.Oid?.Value == "1.2.840.10045.3.1.7";

    private static string RetiredDirectory(string signingKeyPath) => Path.Combine(Path.GetDirectoryName(signingKeyPath)!, "retired");

    private static ECDsa LoadOrCreate(string path)
    {
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (!IsP256(key)) throw new InvalidOperationException($"The signing key {path} is not an ECDSA P-256 key.");
            return key;
        }
        key.Dispose();
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (WritePrivate(path, key, overwrite: false)) return key;
        // Another process created the key first (two instances starting together): use theirs, or we would sign
        // with a key that is no longer on disk.
        key.Dispose();
        return LoadOrCreate(path);
    }

    /// <summary>
    /// Writes the private key readable by its owner only, via a temporary file and an atomic rename; false when
    /// <paramref name="overwrite"/> is off and a key already exists.
    /// </summary>
    private static bool WritePrivate(string path, ECDsa key, bool overwrite = true)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temp, path, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
        File.WriteAllText(Path.ChangeExtension(path, ".pub.pem"), key.ExportSubjectPublicKeyInfoPem());
        return true;
    }

    public void Dispose()
    {
        foreach (var key in _trusted.Values.Distinct()) key.Dispose();
    }
}
