namespace Immutable.Web.Storage;

/// <summary>A signed checkpoint of a workspace's chain (Immutable.Domain.Chain.Checkpoint as stored).</summary>
public sealed class CheckpointRecord
{
    public long RowId { get; set; }
    public required string WorkspaceId { get; set; }
    public long FirstSequence { get; set; }
    public long Sequence { get; set; }
    public required string HeadHash { get; set; }
    public required string MerkleRoot { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string KeyId { get; set; }
    public required string Signature { get; set; }
}

/// <summary>pending → submitted (handed to witnesses) → confirmed (a witness vouched for it) | failed (every witness failed).</summary>
public enum AnchorStatus
{
    Pending,
    Submitted,
    Confirmed,
    Failed,
}

/// <summary>A signed Merkle anchor over one period of a workspace's chain (Immutable.Domain.Chain.Anchor as stored).</summary>
public sealed class AnchorRecord
{
    public required string Id { get; set; }
    public required string WorkspaceId { get; set; }
    public DateTime PeriodStart { get; set; }
    public DateTime PeriodEnd { get; set; }
    public long FirstSequence { get; set; }
    public long LastSequence { get; set; }
    public required string FirstEventHash { get; set; }
    public required string LastEventHash { get; set; }
    public required string MerkleRoot { get; set; }
    public string? PreviousAnchorHash { get; set; }
    public required string AnchorHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string KeyId { get; set; }
    public required string Signature { get; set; }
    public AnchorStatus Status { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    /// <summary>JSON array of what each witness did (<c>Integrity/AnchorWitnesses</c>).</summary>
    public required string Witnesses { get; set; }
}

/// <summary>One verification of a workspace's chain and who ran it (the Integrity page's history, the overview card).</summary>
public sealed class VerificationRecord
{
    public long RowId { get; set; }
    public required string WorkspaceId { get; set; }
    /// <summary><c>user:&lt;email&gt;</c>, <c>api_key:&lt;prefix&gt;</c> or <c>cli</c>.</summary>
    public required string RanBy { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime FinishedAt { get; set; }
    public bool Valid { get; set; }
    public long EventsChecked { get; set; }
    public int BreaksTotal { get; set; }
    /// <summary>The first break, as the API's JSON, so the overview can say what broke.</summary>
    public string? FirstBreak { get; set; }
    /// <summary>True when the whole chain was checked (no range, no limit cut it short).</summary>
    public bool Complete { get; set; }
}
