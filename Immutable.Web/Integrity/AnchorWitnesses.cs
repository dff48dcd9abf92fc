using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Hosting;
using Immutable.Web.Storage;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Integrity;

/// <summary>
/// RFC 3161: asks each configured timestamp authority to sign (SHA-256 of) the anchor's Merkle root with its time.
/// The token is checked before it is kept — the nonce, the message imprint, and the TSA's signature over them with a
/// certificate allowed to timestamp — and stored with the anchor, so anyone can check it later with
/// <c>openssl ts -verify -digest &lt;merkle_root&gt;</c> against the authority's certificate.
/// </summary>
public sealed class TimestampAuthorityWitness(IHttpClientFactory httpFactory, IOptions<IntegrityOptions> options) : IAnchorWitness
{
    public const string HttpClientName = "rfc3161";

    public string Name => "rfc3161";

    public async Task<IReadOnlyList<WitnessResult>> WitnessAsync(ImmutableDbContext db, AnchorRecord anchor, CancellationToken ct)
    {
        var results = new List<WitnessResult>();
        foreach (var url in options.Value.TimestampAuthorityUrls)
            results.Add(await TimestampAsync(url, Convert.FromHexString(anchor.MerkleRoot), ct));
        return results;
    }

    public async Task<WitnessResult> TimestampAsync(string url, byte[] digest, CancellationToken ct)
    {
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(8);
            nonce[0] &= 0x7f; // a positive INTEGER
            var request = Rfc3161TimestampRequest.CreateFromHash(digest, HashAlgorithmName.SHA256, nonce: nonce, requestSignerCertificates: true);
            using var content = new ByteArrayContent(request.Encode());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
            using var http = httpFactory.CreateClient(HttpClientName);
            using var response = await http.PostAsync(url, content, ct);
            if (!response.IsSuccessStatusCode)
                return new WitnessResult(Name, WitnessStatus.Failed, url, $"The timestamp authority answered HTTP {(int)response.StatusCode}.");
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            var token = request.ProcessResponse(body, out _);
            if (!token.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out var signer, extraCandidates: null) || signer is null)
                return new WitnessResult(Name, WitnessStatus.Failed, url, "The timestamp token's signature does not verify.");
            var info = token.TokenInfo;
            return new WitnessResult(Name, WitnessStatus.Confirmed, url, null, Convert.ToBase64String(token.AsSignedCms().Encode()),
                Timestamps.ToIso(info.Timestamp.UtcDateTime), signer.Subject);
        }
        catch (Exception ex) when (ex is HttpRequestException or CryptographicException or TaskCanceledException)
        {
            return new WitnessResult(Name, WitnessStatus.Failed, url, ex.Message);
        }
    }

    /// <summary>Re-checks a stored token against a Merkle root (the anchor verify endpoint).</summary>
    public static bool TokenMatches(string tokenBase64, string merkleRootHex)
    {
        try
        {
            if (!Rfc3161TimestampToken.TryDecode(Convert.FromBase64String(tokenBase64), out var token, out _)) return false;
            var digest = Convert.FromHexString(merkleRootHex);
            return token.VerifySignatureForHash(digest, HashAlgorithmName.SHA256, out _, extraCandidates: null);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return false;
        }
    }
}

/// <summary>The <c>anchor.created</c> notification: root, period, range, the signed statement and its signature.</summary>
public static class AnchorNotification
{
    public const string EventType = "anchor.created";

    public static JsonObject Payload(AnchorRecord a, string publicKeyPem) => new()
    {
        ["event_type"] = EventType,
        ["workspace_id"] = a.WorkspaceId,
        ["anchor_id"] = a.Id,
        ["merkle_root"] = a.MerkleRoot,
        ["anchor_hash"] = a.AnchorHash,
        ["previous_anchor_hash"] = a.PreviousAnchorHash,
        ["period_start"] = Timestamps.ToIso(a.PeriodStart),
        ["period_end"] = Timestamps.ToIso(a.PeriodEnd),
        ["first_sequence"] = a.FirstSequence,
        ["last_sequence"] = a.LastSequence,
        ["first_event_hash"] = a.FirstEventHash,
        ["last_event_hash"] = a.LastEventHash,
        ["statement"] = a.ToDomain().Statement(),
        ["key_id"] = a.KeyId,
        ["signature"] = a.Signature,
        ["public_key"] = publicKeyPem,
        ["timestamp"] = Timestamps.ToIso(a.CreatedAt),
    };
}

/// <summary>Queues <c>anchor.created</c> to every enabled endpoint subscribed to <c>anchors</c>, through the durable outbox.</summary>
public sealed class WebhookAnchorWitness(SigningKeys keys) : IAnchorWitness
{
    public string Name => "webhook";

    public async Task<IReadOnlyList<WitnessResult>> WitnessAsync(ImmutableDbContext db, AnchorRecord anchor, CancellationToken ct)
    {
        var queued = await WebhookOutbox.EnqueueAsync(db, anchor.WorkspaceId, WebhookOutbox.Anchors,
            [(AnchorNotification.EventType, anchor.Id, AnchorNotification.Payload(anchor, keys.CurrentPublicKeyPem))], anchor.CreatedAt, ct);
        return queued == 0 ? [] : [new WitnessResult(Name, WitnessStatus.Submitted, $"{queued} endpoint(s)", null)];
    }
}

/// <summary>Emails the anchor (root, range, signature) to the workspace's owners and admins.</summary>
public sealed class EmailAnchorWitness(IOptions<Delivery.Email.EmailOptions> email, IOptions<PublicUrlOptions> publicUrl) : IAnchorWitness
{
    public string Name => "email";

    public Task<IReadOnlyList<WitnessResult>> WitnessAsync(ImmutableDbContext db, AnchorRecord anchor, CancellationToken ct)
    {
        if (!email.Value.Enabled) return Task.FromResult<IReadOnlyList<WitnessResult>>([]);
        db.EmailItems.Add(new EmailItemRecord
        {
            WorkspaceId = anchor.WorkspaceId, Kind = "anchor", RecordId = anchor.Id, Severity = "info",
            Title = $"Anchor of sequences {anchor.FirstSequence}–{anchor.LastSequence} ({Timestamps.ToIso(anchor.PeriodStart)} to {Timestamps.ToIso(anchor.PeriodEnd)})",
            Reason = $"Merkle root {anchor.MerkleRoot}; anchor hash {anchor.AnchorHash}; previous anchor {anchor.PreviousAnchorHash ?? "none"}; signed by key {anchor.KeyId}: {anchor.Signature}. Keep this email: it lets you prove later that the log was not rewritten.",
            Link = publicUrl.Value.Base + "/integrity", CreatedAt = anchor.CreatedAt,
        });
        return Task.FromResult<IReadOnlyList<WitnessResult>>([new WitnessResult(Name, WitnessStatus.Submitted, "owners and admins", null)]);
    }
}
