using System.Security.Cryptography;
using Immutable.Domain.Chain;
using Immutable.Web.Integrity;

namespace Immutable.Tests.Domain;

public class MerkleTreeTests
{
    private static List<string> Hashes(int n) =>
        Enumerable.Range(1, n).Select(i => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))).ToList();

    /// <summary>RFC 6962 §2.1 written out literally, as a second implementation to hold the streaming one to.</summary>
    private static byte[] Mth(List<byte[]> d)
    {
        if (d.Count == 0) return SHA256.HashData([]);
        if (d.Count == 1) return SHA256.HashData([0x00, .. d[0]]);
        var k = 1;
        while (k * 2 < d.Count) k *= 2;
        return SHA256.HashData([0x01, .. Mth(d.Take(k).ToList()), .. Mth(d.Skip(k).ToList())]);
    }

    [Fact]
    public void Root_OfEverySizeUpTo70_EqualsRfc6962Definition()
    {
        for (var n = 0; n <= 70; n++)
        {
            var hashes = Hashes(n);
            Assert.Equal(Convert.ToHexStringLower(Mth(hashes.Select(Convert.FromHexString).ToList())), MerkleTree.Root(hashes));
        }
    }

    [Fact]
    public void InclusionPath_ForEveryLeafOfOddAndEvenTrees_Verifies()
    {
        foreach (var n in new[] { 1, 2, 3, 5, 7, 8, 13, 33 })
        {
            var hashes = Hashes(n);
            var root = MerkleTree.Root(hashes);
            for (var i = 0; i < n; i++)
            {
                var path = MerkleTree.InclusionPath(hashes, i);
                Assert.True(MerkleTree.VerifyInclusion(hashes[i], i, n, path, root), $"leaf {i} of {n}");
                // The streaming prover (sibling ranges over the store) gives the same path.
                var ranges = AnchorProofs.SiblingRanges(i, n);
                Assert.Equal(path, ranges.Select(r => MerkleTree.Root(hashes.Skip((int)r.Lo).Take((int)(r.Hi - r.Lo)))).ToList());
            }
        }
    }

    [Fact]
    public void VerifyInclusion_WrongLeafIndexPathOrRoot_Fails()
    {
        var hashes = Hashes(7);
        var root = MerkleTree.Root(hashes);
        var path = MerkleTree.InclusionPath(hashes, 3);
        Assert.False(MerkleTree.VerifyInclusion(hashes[4], 3, 7, path, root));
        Assert.False(MerkleTree.VerifyInclusion(hashes[3], 2, 7, path, root));
        Assert.False(MerkleTree.VerifyInclusion(hashes[3], 3, 4, path, root)); // a size the path cannot belong to
        Assert.False(MerkleTree.VerifyInclusion(hashes[3], 3, 7, path.Skip(1).ToList(), root));
        Assert.False(MerkleTree.VerifyInclusion(hashes[3], 3, 7, path, MerkleTree.Root(hashes.Take(6))));
    }

    [Fact]
    public void Leaf_CannotPassForANode()
    {
        // The 0x00/0x01 prefixes: a two-leaf tree's root differs from the leaf hash of the concatenated leaves.
        var hashes = Hashes(2);
        var concatenated = Convert.FromHexString(hashes[0]).Concat(Convert.FromHexString(hashes[1])).ToArray();
        Assert.NotEqual(MerkleTree.Root(hashes), Convert.ToHexStringLower(SHA256.HashData(concatenated)));
    }

    [Fact]
    public void ChainRun_HeldToACheckpoint_CatchesARewriteWithRecomputedHashes()
    {
        var chain = new List<Immutable.Domain.Events.AuditEvent>();
        for (var i = 1; i <= 6; i++) chain.Add(ChainTests.Link(chain.LastOrDefault(), n: i));
        var commitment = new Commitment("checkpoint", ChainBreakType.CheckpointMismatch, 1, 6, null, chain[^1].EventHash, MerkleTree.Root(chain.Select(e => e.EventHash)));

        var intact = new ChainRun(null, 100);
        intact.Expect(commitment);
        foreach (var e in chain) intact.Check(e);
        intact.Finish(reachedEnd: true);
        Assert.True(intact.Result.Valid);

        // Rewrite from event 3 on, recomputing every hash with the public encoding: links and hashes hold.
        var rewritten = chain.Take(2).ToList();
        for (var i = 3; i <= 6; i++) rewritten.Add(ChainTests.Link(rewritten[^1], actor: "mallory", n: i));
        var run = new ChainRun(null, 100);
        run.Expect(commitment);
        foreach (var e in rewritten) run.Check(e);
        run.Finish(reachedEnd: true);
        var only = Assert.Single(run.Result.Breaks);
        Assert.Equal((ChainBreakType.CheckpointMismatch, 6L), (only.Type, only.Sequence));

        // Truncated: the chain ends before the checkpoint.
        var cut = new ChainRun(null, 100);
        cut.Expect(commitment);
        foreach (var e in chain.Take(4)) cut.Check(e);
        cut.Finish(reachedEnd: true);
        Assert.Equal(ChainBreakType.Truncated, Assert.Single(cut.Result.Breaks).Type);
    }

    [Fact]
    public void SignedStatement_VerifiesOnlyUnchanged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var c = new Checkpoint("ws_a", 1, 10, new string('a', 64), new string('b', 64), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), SignedStatements.KeyId(key), "");
        var signed = c with { Signature = SignedStatements.Sign(c.Statement(), key) };
        Assert.True(SignedStatements.Verify(signed.Statement(), signed.Signature, key));
        Assert.False(SignedStatements.Verify((signed with { Sequence = 11 }).Statement(), signed.Signature, key));
        Assert.False(SignedStatements.Verify((signed with { WorkspaceId = "ws_b" }).Statement(), signed.Signature, key));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(SignedStatements.Verify(signed.Statement(), signed.Signature, other));
    }
}
