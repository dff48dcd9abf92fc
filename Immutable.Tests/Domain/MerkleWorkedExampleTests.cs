using System.Security.Cryptography;
using System.Text;
using Immutable.Domain.Chain;

namespace Immutable.Tests.Domain;

/// <summary>docs/hash-chain.md's Merkle worked example, recomputed: the document and the code must agree.</summary>
public class MerkleWorkedExampleTests
{
    [Fact]
    public void WorkedExample_InTheDocument_MatchesTheCode()
    {
        var doc = File.ReadAllText(Path.Combine(Immutable.Tests.TestSupport.TestPaths.RepositoryRoot, "docs", "hash-chain.md"));
        var hashes = new[] { "event 1", "event 2", "event 3" }.Select(t => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(t)))).ToList();
        var root = MerkleTree.Root(hashes);
        Assert.Contains($"root = node(that, leaf(e3)) = {root}", doc, StringComparison.Ordinal);
        foreach (var (h, i) in hashes.Select((h, i) => (h, i)))
        {
            Assert.Contains($"e{i + 1} = {h}", doc, StringComparison.Ordinal);
            Assert.Contains($"leaf(e{i + 1}) = {Convert.ToHexStringLower(MerkleTree.LeafHash(h))}", doc, StringComparison.Ordinal);
        }
        var path = MerkleTree.InclusionPath(hashes, 2);
        Assert.Contains($"node(leaf(e1), leaf(e2)) = {Assert.Single(path)}", doc, StringComparison.Ordinal);
        Assert.True(MerkleTree.VerifyInclusion(hashes[2], 2, 3, path, root));
    }
}
