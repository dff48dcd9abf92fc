using System.ComponentModel.DataAnnotations;

namespace Immutable.Web.Integrity;

/// <summary>Verification, checkpoints, anchors and witnesses (section "Integrity"; docs/hash-chain.md).</summary>
public sealed class IntegrityOptions : IValidatableObject
{
    public const string Section = "Integrity";

    /// <summary>Verifications of one workspace running at once (API and dashboard); more get 429.</summary>
    [Range(1, 64)]
    public int MaxConcurrentVerifications { get; set; } = 2;

    /// <summary>Events read per page while verifying.</summary>
    [Range(100, 100_000)]
    public int VerifyPageSize { get; set; } = 2000;

    /// <summary>Write signed checkpoints and anchors (off only to measure what they cost).</summary>
    public bool Checkpoints { get; set; } = true;

    /// <summary>A checkpoint is written once this many events follow the previous one…</summary>
    [Range(1, 10_000_000)]
    public int CheckpointEvents { get; set; } = 10_000;

    /// <summary>…or once this many minutes passed since it, whichever comes first (and only when there are new events).</summary>
    [Range(1, 1440)]
    public int CheckpointMinutes { get; set; } = 5;

    /// <summary>The anchoring period: one Merkle anchor per workspace per period with events (UTC-aligned; 1440 = daily).</summary>
    [Range(1, 44_640)]
    public int AnchorPeriodMinutes { get; set; } = 1440;

    /// <summary>The ECDSA P-256 private key (PKCS#8 PEM); created on first start. Default: <c>keys/checkpoint-signing.pem</c> beside the database.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>Where the latest signed checkpoint of each workspace is copied, outside the database. Default: <c>witness/</c> beside the database.</summary>
    public string? WitnessPath { get; set; }

    /// <summary>RFC 3161 timestamp authorities that witness each anchor's Merkle root (none by default).</summary>
    public string[] TimestampAuthorityUrls { get; set; } = [];

    /// <summary>How often the integrity worker looks for due checkpoints and anchors (it is also woken by new events).</summary>
    [Range(1, 3600)]
    public int WorkerIntervalSeconds { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var url in TimestampAuthorityUrls)
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                yield return new ValidationResult($"Integrity:TimestampAuthorityUrls: '{url}' is not an absolute http(s) URL.", [nameof(TimestampAuthorityUrls)]);
    }
}
