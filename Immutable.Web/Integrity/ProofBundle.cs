using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.Events;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Integrity;

/// <summary>
/// A proof bundle (docs/hash-chain.md, "Offline verification"): newline-delimited JSON that proves a range of the chain
/// with nothing but the file and a public key. Line 1 is the header (<c>"kind":"bundle"</c>); then the public keys
/// (<c>"kind":"public_key"</c>); then the events as the API returns them, in sequence order; then the checkpoints and
/// anchors that cover them (<c>"kind":"checkpoint"</c>, <c>"kind":"anchor"</c>). Exports in NDJSON use the same lines.
/// </summary>
public sealed class ProofBundle(IDbContextFactory<ImmutableDbContext> dbFactory, SigningKeys keys, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = VerificationHistory.Json;

    /// <summary>Writes sequences <paramref name="from"/>..<paramref name="to"/> (the whole chain when null) page by page.</summary>
    public async Task WriteAsync(Stream output, string workspaceId, long? from, long? to, CancellationToken ct)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        var first = from ?? 1;
        long last;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            last = to ?? await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId).MaxAsync(e => (long?)e.Sequence, ct) ?? 0;
        await writer.WriteLineAsync(new JsonObject
        {
            ["kind"] = "bundle", ["v"] = 1, ["workspace_id"] = workspaceId, ["first_sequence"] = first, ["last_sequence"] = last,
            ["generated_at"] = Timestamps.ToIso(time.GetUtcNow().UtcDateTime),
        }.ToJsonString());
        foreach (var key in keys.PublicKeys) await WriteLineAsync(writer, "public_key", key);
        var events = await WriteEventsAsync(writer, workspaceId, first, last, ct);
        var statements = await WriteStatementsAsync(writer, dbFactory, workspaceId, first, last, ct);
        // The trailer: a bundle cut short (a failed download) is told from a complete one.
        await writer.WriteLineAsync(new JsonObject { ["kind"] = "end", ["events"] = events, ["statements"] = statements }.ToJsonString());
    }

    public async Task<long> WriteEventsAsync(StreamWriter writer, string workspaceId, long first, long last, CancellationToken ct)
    {
        var cursor = first - 1;
        long written = 0;
        while (cursor < last)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var page = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == workspaceId && e.Sequence > cursor && e.Sequence <= last)
                .OrderBy(e => e.Sequence).Take(2000).ToListAsync(ct);
            if (page.Count == 0) break;
            foreach (var row in page) await writer.WriteLineAsync(JsonSerializer.Serialize(EventJson.From(row), Json));
            written += page.Count;
            cursor = page[^1].Sequence;
        }
        return written;
    }

    /// <summary>The checkpoints and anchors wholly inside sequences <paramref name="first"/>..<paramref name="last"/>, as bundle lines.</summary>
    public static async Task<long> WriteStatementsAsync(StreamWriter writer, IDbContextFactory<ImmutableDbContext> dbFactory, string workspaceId, long first, long last, CancellationToken ct)
    {
        long written = 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await foreach (var c in db.Checkpoints.AsNoTracking()
            .Where(c => c.WorkspaceId == workspaceId && c.FirstSequence >= first && c.Sequence <= last).OrderBy(c => c.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            await WriteLineAsync(writer, "checkpoint", CheckpointJson.From(c.ToDomain()));
            written++;
        }
        await foreach (var a in db.Anchors.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.FirstSequence >= first && a.LastSequence <= last).OrderBy(a => a.FirstSequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            await WriteLineAsync(writer, "anchor", AnchorJson.From(a));
            written++;
        }
        return written;
    }

    internal static async Task WriteLineAsync<T>(StreamWriter writer, string kind, T value)
    {
        var node = JsonSerializer.SerializeToNode(value, Json)!.AsObject();
        var line = new JsonObject { ["kind"] = kind };
        foreach (var (name, v) in node.ToList())
        {
            node.Remove(name);
            line[name] = v;
        }
        await writer.WriteLineAsync(line.ToJsonString());
    }
}

/// <summary>Reads an event back from the API's JSON (a bundle or export line) into the shape its hash is computed over.</summary>
public static class EventJsonReader
{
    public static AuditEvent ToDomain(JsonElement e, string workspaceId)
    {
        string? Str(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        DateTime Time(string name) => DateTime.ParseExact(Str(e, name) ?? throw new FormatException($"{name} is missing"), Timestamps.Format,
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var integrity = e.GetProperty("integrity");
        var geo = e.TryGetProperty("geo", out var g) && g.ValueKind == JsonValueKind.Object ? g : default;
        double? Num(string name) => geo.ValueKind == JsonValueKind.Object && geo.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var occurred = Time("occurred_at");
        return new AuditEvent
        {
            Content = new EventContent
            {
                Id = Guid.Parse(Str(e, "id")!),
                ActorId = Str(e, "actor_id")!,
                ActorName = Str(e, "actor_name"),
                ActorType = Str(e, "actor_type"),
                Action = Str(e, "action")!,
                ActionCategory = Str(e, "action_category"),
                Resource = e.TryGetProperty("resource", out var r) && r.ValueKind == JsonValueKind.Object ? Str(r, "type") : null,
                ResourceId = Str(e, "resource_id"),
                ResourceName = Str(e, "resource_name"),
                Targets = e.TryGetProperty("targets", out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0 ? EventMapping.ParseTargets(t.GetRawText()) : [],
                MetadataJson = e.TryGetProperty("metadata", out var m) && m.ValueKind != JsonValueKind.Null ? m.GetRawText() : null,
                TenantId = Str(e, "tenant_id"),
                SessionId = Str(e, "session_id"),
                IpAddress = Str(e, "ip_address"),
                Geo = geo.ValueKind == JsonValueKind.Object
                    ? new GeoLocation(Str(geo, "country"), Str(geo, "city"), Num("latitude"), Num("longitude"), (int?)Num("accuracy_radius_km"), Str(geo, "time_zone"))
                    : GeoLocation.Unknown,
                UserAgent = Str(e, "user_agent"),
                IdempotencyKey = Str(e, "idempotency_key"),
                Version = e.TryGetProperty("version", out var ver) && ver.ValueKind == JsonValueKind.Number ? ver.GetInt32() : null,
                OccurredAt = occurred,
                // In the hashed text only when true (docs/hash-chain.md, "The schema flag").
                SchemaViolation = e.TryGetProperty("schema_violation", out var flag) && flag.ValueKind == JsonValueKind.True,
            },
            WorkspaceId = workspaceId,
            Sequence = integrity.GetProperty("sequence").GetInt64(),
            OccurredAt = occurred,
            CreatedAt = Time("created_at"),
            PreviousEventHash = Str(integrity, "previous_event_hash"),
            EventHash = Str(integrity, "event_hash")!,
        };
    }
}
