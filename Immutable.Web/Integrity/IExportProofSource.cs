namespace Immutable.Web.Integrity;

/// <summary>
/// The hook through which NDJSON exports carry the proofs that cover their range (signed checkpoints and anchors,
/// issue 14), so an exported file can be verified offline. The export writes every line this returns after its
/// events. Until checkpoints exist the registered source is <see cref="NoExportProofs"/>, which returns nothing;
/// the checkpoint feature registers its own (<c>services.Replace(ServiceDescriptor.Singleton&lt;IExportProofSource, …&gt;())</c>).
/// </summary>
public interface IExportProofSource
{
    /// <summary>
    /// The proof records covering the sequences <paramref name="firstSequence"/>..<paramref name="lastSequence"/> of the
    /// workspace's chain, each one JSON object on one line (no newline inside) with a <c>"record"</c> member naming its
    /// kind (<c>"checkpoint"</c>, <c>"anchor"</c>): event lines never have that member.
    /// </summary>
    IAsyncEnumerable<string> ProofLinesAsync(string workspaceId, long firstSequence, long lastSequence, CancellationToken ct);
}

/// <summary>No checkpoints or anchors yet: exports end with their last event.</summary>
public sealed class NoExportProofs : IExportProofSource
{
    public async IAsyncEnumerable<string> ProofLinesAsync(string workspaceId, long firstSequence, long lastSequence,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        yield break;
    }
}
