using System.Globalization;

namespace Immutable.Web.Retention;

/// <summary>
/// <c>archive verify &lt;file&gt;</c> on the app's own binary: re-checks an archive with no database and no server —
/// every line's hash, the links between lines, and, when its manifest lies beside it, the file's SHA-256, size, count
/// and first/last sequences and hashes. Exit code 0: valid; 1: not valid; 2: usage.
/// </summary>
public static class ArchiveCommand
{
    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "archive";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length != 3 || args[1] != "verify")
        {
            await error.WriteLineAsync("""
                Usage:
                  Immutable.Web archive verify <file.jsonl.gz>
                Checks the archive's lines (hashes, links, sequences) and, when <name>.manifest.json lies beside it, the manifest.
                """);
            return 2;
        }
        var path = args[2];
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"No such file: {path}");
            return 2;
        }
        var manifestPath = ArchiveFile.ManifestPathFor(path);
        ArchiveManifest? manifest;
        try
        {
            manifest = await ArchiveFile.ReadManifestAsync(manifestPath, CancellationToken.None);
        }
        catch (System.Text.Json.JsonException ex)
        {
            await output.WriteLineAsync($"INVALID: the manifest {manifestPath} cannot be read: {ex.Message}");
            return 1;
        }
        var check = await ArchiveFile.VerifyAsync(path, manifest, CancellationToken.None);
        var inv = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(inv, $"archive:   {path} ({check.SizeBytes} bytes, sha256 {check.Sha256})"));
        await output.WriteLineAsync(manifest is null ? "manifest:  none found (only the lines are checked)" : $"manifest:  {manifestPath} (workspace {manifest.WorkspaceId}, day {manifest.Day})");
        await output.WriteLineAsync(string.Create(inv, $"events:    {check.EventCount}, sequences {check.FirstSequence}..{check.LastSequence}"));
        await output.WriteLineAsync($"links to:  {check.FirstPreviousEventHash ?? "(start of the chain)"}");
        await output.WriteLineAsync($"ends with: {check.LastEventHash}");
        if (check.Valid)
        {
            await output.WriteLineAsync("VALID: every event's hash recomputes and every event links to the one before" + (manifest is null ? "." : "; the manifest matches."));
            return 0;
        }
        await output.WriteLineAsync("INVALID:");
        foreach (var problem in check.Problems) await output.WriteLineAsync("  - " + problem);
        return 1;
    }
}
