using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Immutable.Domain.Chain;

namespace Immutable.Web.Retention;

/// <summary>
/// The manifest beside each archive (<c>YYYY-MM-DD.manifest.json</c>): what the archive holds and the SHA-256 of its
/// bytes, so the file can be checked without the database (<c>archive verify</c>).
/// </summary>
public sealed record ArchiveManifest(
    string Format,
    string WorkspaceId,
    string Day,
    string File,
    long EventCount,
    long FirstSequence,
    long LastSequence,
    string? FirstPreviousEventHash,
    string FirstEventHash,
    string LastEventHash,
    string FirstCreatedAt,
    string LastCreatedAt,
    long SizeBytes,
    string Sha256,
    int EncodingVersion,
    string CreatedAt)
{
    public const string FormatName = "immutable-archive/1";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>What re-reading an archive found. <see cref="Problems"/> is empty when every check held.</summary>
public sealed record ArchiveCheck(
    long EventCount,
    long? FirstSequence,
    long? LastSequence,
    string? FirstPreviousEventHash,
    string? FirstEventHash,
    string? LastEventHash,
    long SizeBytes,
    string Sha256,
    IReadOnlyList<string> Problems)
{
    public bool Valid => Problems.Count == 0;
}

/// <summary>
/// Archives on disk: gzipped JSON Lines, one event per line in the stored shape (<see cref="StoredEventLine"/>),
/// oldest first, and their manifests.
/// Invariant (what <see cref="VerifyAsync"/> proves): every line's hash recomputes, each line links to the one
/// before (previous_event_hash, sequence + 1), and, given a manifest, the file's size and SHA-256, the count and the
/// first and last sequences and hashes are the manifest's.
/// </summary>
public static class ArchiveFile
{
    public const string Extension = ".jsonl.gz";
    private const int MaxProblems = 20;

    public static string ManifestPathFor(string archivePath) =>
        (archivePath.EndsWith(Extension, StringComparison.Ordinal) ? archivePath[..^Extension.Length] : archivePath) + ".manifest.json";

    public static async Task<ArchiveManifest?> ReadManifestAsync(string manifestPath, CancellationToken ct)
    {
        if (!File.Exists(manifestPath)) return null;
        await using var stream = File.OpenRead(manifestPath);
        return await JsonSerializer.DeserializeAsync<ArchiveManifest>(stream, ArchiveManifest.Json, ct);
    }

    /// <summary>Writes a file and forces it to disk before returning (the manifest, after its archive).</summary>
    public static async Task WriteDurablyAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var part = path + ".part";
        await using (var stream = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(bytes, ct);
            stream.Flush(flushToDisk: true);
        }
        File.Move(part, path, overwrite: true);
    }

    /// <summary>Re-reads an archive from disk and checks it line by line; <paramref name="expected"/> adds the manifest's checks.</summary>
    public static async Task<ArchiveCheck> VerifyAsync(string path, ArchiveManifest? expected, CancellationToken ct)
    {
        var problems = new List<string>();
        void Problem(string text)
        {
            if (problems.Count < MaxProblems) problems.Add(text);
            else if (problems.Count == MaxProblems) problems.Add("(more problems not listed)");
        }

        long size;
        string sha256;
        await using (var raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
        {
            size = raw.Length;
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(raw, ct));
        }

        long count = 0;
        StoredEventLineInfo? first = null, previous = null;
        try
        {
            await using var raw = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
            await using var gzip = new GZipStream(raw, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, new UTF8Encoding(false, throwOnInvalidBytes: true));
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                count++;
                if (line.Length == 0) { Problem($"line {count}: empty"); continue; }
                StoredEventLineInfo info;
                try { info = StoredEventLine.Read(line); }
                catch (FormatException ex) { Problem($"line {count}: {ex.Message}"); previous = null; continue; }
                if (!info.HashHolds)
                    Problem($"line {count} (sequence {info.Sequence}): event_hash {info.EventHash} is not the hash of the line ({info.RecomputedHash}): the event was altered");
                if (previous is not null)
                {
                    if (info.Sequence != previous.Sequence + 1)
                        Problem($"line {count}: sequence {info.Sequence} does not follow {previous.Sequence}: an event is missing or out of order");
                    if (!string.Equals(info.PreviousEventHash, previous.EventHash, StringComparison.Ordinal))
                        Problem($"line {count} (sequence {info.Sequence}): previous_event_hash does not link to the line before");
                }
                first ??= info;
                previous = info;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or DecoderFallbackException or IOException)
        {
            Problem($"the file cannot be read as gzipped UTF-8 text: {ex.Message}");
        }

        if (count == 0) Problem("the archive holds no event");
        if (expected is not null)
        {
            if (!string.Equals(expected.Sha256, sha256, StringComparison.Ordinal)) Problem($"SHA-256 is {sha256}, the manifest says {expected.Sha256}");
            if (expected.SizeBytes != size) Problem($"size is {size} bytes, the manifest says {expected.SizeBytes}");
            if (expected.EventCount != count) Problem($"the archive holds {count} lines, the manifest says {expected.EventCount} events");
            if (first is not null && expected.FirstSequence != first.Sequence) Problem($"the first sequence is {first.Sequence}, the manifest says {expected.FirstSequence}");
            if (previous is not null && expected.LastSequence != previous.Sequence) Problem($"the last sequence is {previous.Sequence}, the manifest says {expected.LastSequence}");
            if (first is not null && !string.Equals(expected.FirstEventHash, first.EventHash, StringComparison.Ordinal)) Problem("the first event's hash is not the manifest's");
            if (first is not null && !string.Equals(expected.FirstPreviousEventHash, first.PreviousEventHash, StringComparison.Ordinal)) Problem("the first event does not link to the manifest's previous hash");
            if (previous is not null && !string.Equals(expected.LastEventHash, previous.EventHash, StringComparison.Ordinal)) Problem("the last event's hash is not the manifest's");
        }
        return new ArchiveCheck(count, first?.Sequence, previous?.Sequence, first?.PreviousEventHash, first?.EventHash, previous?.EventHash, size, sha256, problems);
    }
}
