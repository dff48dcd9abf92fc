using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Immutable.Domain.Chain;

namespace Immutable.Web.Integrity;

/// <param name="Gaps">Places where sequences jump (a filtered export): links across them, and statements spanning them, cannot be checked.</param>
/// <param name="StatementsSkipped">Checkpoints and anchors whose range is not wholly in the file (or spans a gap).</param>
/// <param name="Unsigned">Events no checked checkpoint or anchor covers (the newest events, until the next checkpoint).</param>
public sealed record OfflineResult(
    bool Valid, string? WorkspaceId, int EventsChecked, int CheckpointsChecked, int AnchorsChecked, int StatementsSkipped, int Gaps,
    bool KeysFromFile, IReadOnlyList<ChainBreak> Breaks, long Unsigned = 0);

/// <summary>
/// <c>integrity verify-offline</c>: checks a proof bundle or NDJSON export with no server and no database. Every event's
/// hash is recomputed from its JSON; consecutive events must link; every checkpoint and anchor must carry a signature
/// by a trusted key and, when its whole range is in the file, match the events' Merkle root and first/last hashes;
/// anchors must link to each other. A proof bundle (a <c>bundle</c> header line stating its range) is held to more: its events run without
/// gap from the header's first to last sequence, every statement lies wholly inside them, and the <c>end</c> trailer
/// counts what came before it — so a bundle with events or statements removed, or cut short, fails. An NDJSON export
/// (no header, possibly filtered) is checked as far as its events allow. Two passes over the file keep memory to one
/// line and the open statements.
/// Invariant: trust comes from the public key given on the command line; keys inside the file are used only when none
/// is given, and the result says so.
/// </summary>
public static class OfflineVerifier
{
    public static OfflineResult Verify(string path, IReadOnlyList<ECDsa>? trustedKeys)
    {
        string? workspaceId = null;
        long? headerFirst = null, headerLast = null, trailerEvents = null, trailerStatements = null;
        var bundle = false;
        var embedded = new List<ECDsa>();
        var checkpoints = new List<Checkpoint>();
        var anchors = new List<Anchor>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            switch (Kind(root))
            {
                case "bundle":
                    workspaceId ??= Str(root, "workspace_id");
                    // A proof bundle states its range and is held to completeness; an export's header (filters, no
                    // range) marks a possibly filtered file, checked as far as its events allow.
                    if (root.TryGetProperty("first_sequence", out var f) && root.TryGetProperty("last_sequence", out var l))
                    {
                        bundle = true;
                        headerFirst = f.GetInt64();
                        headerLast = l.GetInt64();
                    }
                    break;
                case "end":
                    trailerEvents = Long(root, "events");
                    trailerStatements = Long(root, "statements");
                    break;
                case "public_key":
                    var key = ECDsa.Create();
                    key.ImportFromPem(Str(root, "public_key_pem"));
                    embedded.Add(key);
                    break;
                case "checkpoint":
                    checkpoints.Add(new Checkpoint(Str(root, "workspace_id")!, Long(root, "first_sequence"), Long(root, "sequence"), Str(root, "head_hash")!,
                        Str(root, "merkle_root")!, Time(root, "created_at"), Str(root, "key_id")!, Str(root, "signature")!));
                    workspaceId ??= Str(root, "workspace_id");
                    break;
                case "anchor":
                    anchors.Add(new Anchor(Str(root, "id")!, Str(root, "workspace_id")!, Time(root, "period_start"), Time(root, "period_end"),
                        Long(root, "first_sequence"), Long(root, "last_sequence"), Str(root, "first_event_hash")!, Str(root, "last_event_hash")!,
                        Str(root, "merkle_root")!, Str(root, "previous_anchor_hash"), Time(root, "created_at"), Str(root, "key_id")!, Str(root, "signature")!));
                    workspaceId ??= Str(root, "workspace_id");
                    break;
            }
        }

        var breaks = new List<ChainBreak>();
        var keys = (trustedKeys ?? embedded).ToDictionary(SignedStatements.KeyId, k => k);
        bool Signed(string statement, string keyId, string signature) => keys.TryGetValue(keyId, out var k) && SignedStatements.Verify(statement, signature, k);

        var commitments = new List<Commitment>();
        foreach (var c in checkpoints)
        {
            if (c.WorkspaceId != workspaceId || !Signed(c.Statement(), c.KeyId, c.Signature))
                breaks.Add(new ChainBreak(null, c.Sequence, ChainBreakType.BadSignature, "a signature by a trusted key", c.KeyId, $"The checkpoint at sequence {c.Sequence} is not signed by a trusted key for this workspace."));
            else commitments.Add(Commitment.Of(c));
        }
        string? previousAnchorHash = null;
        Anchor? previousAnchor = null;
        foreach (var a in anchors.OrderBy(a => a.FirstSequence))
        {
            if (a.WorkspaceId != workspaceId || !Signed(a.Statement(), a.KeyId, a.Signature))
                breaks.Add(new ChainBreak(null, a.LastSequence, ChainBreakType.BadSignature, "a signature by a trusted key", a.KeyId, $"Anchor {a.Id} is not signed by a trusted key for this workspace."));
            else commitments.Add(Commitment.Of(a));
            if (previousAnchor is not null && previousAnchor.LastSequence + 1 == a.FirstSequence && a.PreviousAnchorHash != previousAnchorHash)
                breaks.Add(new ChainBreak(null, a.FirstSequence, ChainBreakType.AnchorMismatch, previousAnchorHash, a.PreviousAnchorHash, $"Anchor {a.Id} does not link to the anchor before it."));
            previousAnchor = a;
            previousAnchorHash = a.AnchorHash;
        }

        // Pass 2: the events, streamed.
        var pending = commitments.GroupBy(c => c.FirstSequence).ToDictionary(g => g.Key, g => g.ToList());
        var open = new List<(Commitment C, MerkleRootBuilder Root, string FirstHash)>();
        var met = 0;
        var gaps = 0;
        var events = 0;
        long? firstSeen = null;
        long covered = 0;
        Immutable.Domain.Events.AuditEvent? previous = null;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (Kind(root) is not null || !root.TryGetProperty("integrity", out _)) continue;
            var e = EventJsonReader.ToDomain(root, workspaceId ?? "");
            events++;
            firstSeen ??= e.Sequence;
            var recomputed = EventHashing.ComputeHash(e);
            if (recomputed != e.EventHash) breaks.Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.HashMismatch, recomputed, e.EventHash));
            if (previous is not null)
            {
                if (e.Sequence == previous.Sequence + 1)
                {
                    if (e.PreviousEventHash != previous.EventHash) breaks.Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.ChainBreak, previous.EventHash, e.PreviousEventHash));
                }
                else if (e.Sequence <= previous.Sequence) breaks.Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.ChainBreak, null, null, "Events are not in increasing sequence order."));
                else
                {
                    gaps++;
                    open.Clear(); // a statement spanning a gap cannot be recomputed
                    if (bundle) breaks.Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.ChainBreak, null, null, $"Events {previous.Sequence + 1}–{e.Sequence - 1} are missing from the bundle."));
                }
            }
            else if (e.Sequence == 1 && e.PreviousEventHash is not null)
            {
                breaks.Add(new ChainBreak(e.Id, e.Sequence, ChainBreakType.ChainBreak, null, e.PreviousEventHash));
            }
            previous = e;
            if (pending.Remove(e.Sequence, out var starting)) open.AddRange(starting.Select(c => (c, new MerkleRootBuilder(), e.EventHash)));
            for (var i = open.Count - 1; i >= 0; i--)
            {
                var (c, builder, firstHash) = open[i];
                builder.Add(e.EventHash);
                if (e.Sequence < c.LastSequence) continue;
                open.RemoveAt(i);
                met++;
                covered = Math.Max(covered, c.LastSequence);
                var rootHex = builder.RootHex();
                if (rootHex != c.MerkleRoot || e.EventHash != c.LastHash || (c.FirstHash is not null && c.FirstHash != firstHash))
                    breaks.Add(new ChainBreak(e.Id, c.LastSequence, c.MismatchType, c.MerkleRoot, rootHex, $"The events of sequences {c.FirstSequence}–{c.LastSequence} do not match the {c.Label}."));
            }
        }
        var skipped = commitments.Count - met;
        if (bundle)
        {
            if (trailerEvents is null || trailerEvents != events || trailerStatements != checkpoints.Count + anchors.Count)
                breaks.Add(new ChainBreak(null, previous?.Sequence ?? 0, ChainBreakType.Truncated, $"{trailerEvents} events and {trailerStatements} statements", $"{events} events and {checkpoints.Count + anchors.Count} statements",
                    trailerEvents is null ? "The bundle has no end line: it was cut short." : "The bundle's end line does not count what the file holds: lines were removed or added."));
            if (events > 0 && (firstSeen != headerFirst || previous?.Sequence != headerLast))
                breaks.Add(new ChainBreak(null, previous?.Sequence ?? 0, ChainBreakType.Truncated, $"{headerFirst}–{headerLast}", $"{firstSeen}–{previous?.Sequence}", "The bundle's events do not span the range its header states."));
            if (skipped > 0)
                breaks.Add(new ChainBreak(null, 0, ChainBreakType.Truncated, null, null, $"{skipped} signed statement(s) in the bundle cover events it does not hold."));
        }
        var unsigned = previous is null ? 0 : previous.Sequence - Math.Max(covered, (firstSeen ?? 1) - 1);
        return new OfflineResult(breaks.Count == 0, workspaceId, events, checkpoints.Count, anchors.Count, skipped, gaps, trustedKeys is null, breaks, unsigned);
    }

    private static string? Kind(JsonElement root) => root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) => e.GetProperty(name).GetInt64();

    private static DateTime Time(JsonElement e, string name) =>
        DateTime.ParseExact(Str(e, name)!, Timestamps.Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
