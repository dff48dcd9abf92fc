using System.Text;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Integrity;

/// <summary>
/// The hook through which NDJSON exports carry what proves them offline, in the proof bundle's line format
/// (<see cref="ProofBundle"/>, docs/hash-chain.md "Offline verification"): the public keys before the events, and after
/// them the signed checkpoints and anchors that cover the exported range. <c>integrity verify-offline</c> then checks an
/// export like a bundle. Each line is one JSON object with a <c>"kind"</c> member; event lines have none.
/// </summary>
public interface IExportProofSource
{
    /// <summary>Lines before the events: the signing keys (<c>"kind":"public_key"</c>).</summary>
    IAsyncEnumerable<string> KeyLinesAsync(CancellationToken ct);

    /// <summary>
    /// Lines after the events: the checkpoints and anchors overlapping sequences <paramref name="firstSequence"/>..<paramref name="lastSequence"/>
    /// (<c>"kind":"checkpoint"</c>, <c>"kind":"anchor"</c>).
    /// </summary>
    IAsyncEnumerable<string> ProofLinesAsync(string workspaceId, long firstSequence, long lastSequence, CancellationToken ct);
}

/// <summary>The signed checkpoints and anchors of issue 14, written as <see cref="ProofBundle"/> writes them.</summary>
public sealed class SignedStatementProofs(IDbContextFactory<ImmutableDbContext> dbFactory, SigningKeys keys) : IExportProofSource
{
    public async IAsyncEnumerable<string> KeyLinesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var line in await LinesAsync(async writer => { foreach (var key in keys.PublicKeys) await ProofBundle.WriteLineAsync(writer, "public_key", key); }))
            yield return line;
    }

    public async IAsyncEnumerable<string> ProofLinesAsync(string workspaceId, long firstSequence, long lastSequence,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // A statement per 10 000 events and one anchor a day: a few hundred short lines for a million events.
        foreach (var line in await LinesAsync(writer => ProofBundle.WriteStatementsAsync(writer, dbFactory, workspaceId, firstSequence, lastSequence, ct)))
            yield return line;
    }

    private static async Task<string[]> LinesAsync(Func<StreamWriter, Task> write)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), 16 * 1024, leaveOpen: true) { NewLine = "\n" })
            await write(writer);
        return Encoding.UTF8.GetString(buffer.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
