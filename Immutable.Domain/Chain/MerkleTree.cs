using System.Security.Cryptography;

namespace Immutable.Domain.Chain;

/// <summary>
/// The Merkle tree of RFC 6962 / RFC 9162 (Certificate Transparency) over event hashes, in chain order
/// (docs/hash-chain.md, "Checkpoints and anchors").
/// Invariant: leaf = SHA-256(0x00 ‖ the event hash's 32 raw bytes), node = SHA-256(0x01 ‖ left ‖ right); a tree of n
/// leaves splits at the largest power of two below n, so an odd node is never duplicated (no CVE-2012-2459-style
/// second preimage) and the 0x00/0x01 prefixes keep a leaf from passing for a node.
/// </summary>
public static class MerkleTree
{
    public const int HashSize = 32;

    public static byte[] LeafHash(ReadOnlySpan<byte> eventHash)
    {
        Span<byte> buffer = stackalloc byte[1 + HashSize];
        buffer[0] = 0x00;
        eventHash.CopyTo(buffer[1..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>
    /// The leaf of a stored hash. A stored value that is not a 64-character hex hash (tampered) becomes the leaf of
    /// SHA-256 over its text: the root then differs, which is reported, instead of the verification failing.
    /// </summary>
    public static byte[] LeafHash(string eventHashHex) =>
        LeafHash(IsHash(eventHashHex) ? Convert.FromHexString(eventHashHex) : SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(eventHashHex ?? "")));

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The root over event hashes (lowercase hex), computed in one pass.</summary>
    public static string Root(IEnumerable<string> eventHashesHex)
    {
        var builder = new MerkleRootBuilder();
        foreach (var h in eventHashesHex) builder.Add(h);
        return builder.RootHex();
    }

    /// <summary>
    /// The inclusion path (RFC 9162 §2.1.3.1) of leaf <paramref name="index"/> among <paramref name="eventHashesHex"/>:
    /// sibling subtree hashes from the leaf up, as lowercase hex.
    /// </summary>
    public static IReadOnlyList<string> InclusionPath(IReadOnlyList<string> eventHashesHex, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, eventHashesHex.Count);
        var leaves = eventHashesHex.Select(LeafHash).ToArray();
        var path = new List<string>();
        Path(leaves, index, path);
        return path;
    }

    private static void Path(ReadOnlySpan<byte[]> leaves, int m, List<string> path)
    {
        if (leaves.Length <= 1) return;
        var k = SplitPoint(leaves.Length);
        if (m < k)
        {
            Path(leaves[..k], m, path);
            path.Add(Convert.ToHexStringLower(SubtreeRoot(leaves[k..])));
        }
        else
        {
            Path(leaves[k..], m - k, path);
            path.Add(Convert.ToHexStringLower(SubtreeRoot(leaves[..k])));
        }
    }

    private static byte[] SubtreeRoot(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 1) return leaves[0];
        var k = SplitPoint(leaves.Length);
        return NodeHash(SubtreeRoot(leaves[..k]), SubtreeRoot(leaves[k..]));
    }

    /// <summary>The largest power of two strictly below n (n ≥ 2).</summary>
    private static int SplitPoint(int n)
    {
        var k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    /// <summary>Checks an inclusion path (RFC 9162 §2.1.3.2).</summary>
    public static bool VerifyInclusion(string eventHashHex, long index, long treeSize, IReadOnlyList<string> path, string rootHex)
    {
        if (index < 0 || index >= treeSize) return false;
        if (!IsHash(eventHashHex) || !IsHash(rootHex) || path.Any(p => !IsHash(p))) return false;
        var fn = index;
        var sn = treeSize - 1;
        var r = LeafHash(eventHashHex);
        foreach (var hex in path)
        {
            if (sn == 0) return false;
            var p = Convert.FromHexString(hex);
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && string.Equals(Convert.ToHexStringLower(r), rootHex, StringComparison.Ordinal);
    }

    public static bool IsHash([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? hex) =>
        hex is { Length: 2 * HashSize } && hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

/// <summary>
/// Computes a Merkle root in one pass over the leaves in O(log n) memory: a stack of perfect subtrees, merged like a
/// binary counter, then folded from the right — which is exactly RFC 6962's split at the largest power of two.
/// </summary>
public sealed class MerkleRootBuilder
{
    private readonly List<(long Size, byte[] Hash)> _stack = [];

    public long Count { get; private set; }

    public void Add(string eventHashHex) => AddLeaf(MerkleTree.LeafHash(eventHashHex));

    public void AddLeaf(byte[] leafHash)
    {
        Count++;
        var node = (Size: 1L, Hash: leafHash);
        while (_stack.Count > 0 && _stack[^1].Size == node.Size)
        {
            var left = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            node = (left.Size * 2, MerkleTree.NodeHash(left.Hash, node.Hash));
        }
        _stack.Add(node);
    }

    /// <summary>The root so far; the SHA-256 of nothing for an empty tree (RFC 9162).</summary>
    public string RootHex()
    {
        if (_stack.Count == 0) return Convert.ToHexStringLower(SHA256.HashData([]));
        var root = _stack[^1].Hash;
        for (var i = _stack.Count - 2; i >= 0; i--) root = MerkleTree.NodeHash(_stack[i].Hash, root);
        return Convert.ToHexStringLower(root);
    }
}
