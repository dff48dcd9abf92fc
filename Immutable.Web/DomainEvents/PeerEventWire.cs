using System.Text;
using System.Text.Json;
using Immutable.Web.Alerts;
using Immutable.Web.Hosting;
using Immutable.Web.Monitors;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Immutable.Web.DomainEvents;

/// <summary>
/// How a domain event travels to the other instances: <c>origin|{"n":…,"t":type,"b":body}</c>, text of at most
/// <see cref="MaxPayloadBytes"/> (PostgreSQL's NOTIFY limit is 8 000 bytes). Events of ids travel as they are.
/// Findings travel as references (<c>workspace + ids</c>) and are read back from the store on arrival, so an alert whose
/// triggering event is large crosses as well as a small one, and the receiver shows what is stored (the truth).
/// Lists are cut into messages of at most <see cref="IdsPerMessage"/> ids. A type an instance does not know (a newer
/// version during a rolling upgrade) is ignored.
/// </summary>
public sealed class PeerEventWire(IDbContextFactory<ImmutableDbContext> dbFactory, IOptions<PublicUrlOptions> publicUrl)
{
    public const int MaxPayloadBytes = 7900;
    public const int IdsPerMessage = 100;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The events of ids that cross as they are.</summary>
    private static readonly Dictionary<string, Type> Inline = new[]
    {
        typeof(EventsAppended), typeof(RuleChanged), typeof(MonitorChanged), typeof(DeliveriesEnqueued), typeof(KeyRevoked),
        typeof(MemberAccessChanged), typeof(AnchorCreated), typeof(WorkspaceSettingsChanged), typeof(LogStreamChanged), typeof(IncidentsChanged),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private sealed record FindingRefs(string WorkspaceId, IReadOnlyList<string> Created, IReadOnlyList<string> Changed);

    private sealed record Envelope(long N, string T, JsonElement B);

    /// <summary>Whether other instances must hear of it. <see cref="PeerEventsMissed"/> is local by nature.</summary>
    public static bool Crosses(DomainEvent domainEvent) =>
        domainEvent is AlertsCommitted or ObservationsCommitted or AlertChanged or ObservationChanged || Inline.ContainsKey(domainEvent.GetType().Name);

    /// <summary>The messages for one event (several when its lists are long); a message over the limit is left out.</summary>
    public static IEnumerable<string> Encode(string origin, Func<long> number, DomainEvent domainEvent)
    {
        foreach (var (type, body) in Parts(domainEvent))
        {
            var text = origin + "|" + JsonSerializer.Serialize(new Envelope(number(), type, body), Json);
            if (Encoding.UTF8.GetByteCount(text) <= MaxPayloadBytes) yield return text;
        }
    }

    private static IEnumerable<(string Type, JsonElement Body)> Parts(DomainEvent domainEvent)
    {
        switch (domainEvent)
        {
            case AlertsCommitted a:
                foreach (var chunk in a.Created.Select(x => x.Id).Chunk(IdsPerMessage)) yield return Refs("alerts", a.WorkspaceId, chunk, []);
                foreach (var chunk in a.Changed.Select(x => x.Id).Chunk(IdsPerMessage)) yield return Refs("alerts", a.WorkspaceId, [], chunk);
                break;
            case ObservationsCommitted o:
                foreach (var chunk in o.Created.Select(x => x.Id).Chunk(IdsPerMessage)) yield return Refs("observations", o.WorkspaceId, chunk, []);
                break;
            case AlertChanged a:
                yield return Refs("alerts", a.WorkspaceId, [], [a.Alert.Id]);
                break;
            case ObservationChanged o:
                yield return Refs("observations", o.WorkspaceId, [], [o.Observation.Id]);
                break;
            case EventsAppended e:
                foreach (var chunk in e.WorkspaceIds.Chunk(IdsPerMessage))
                    yield return (nameof(EventsAppended), JsonSerializer.SerializeToElement(new EventsAppended(chunk), Json));
                break;
            case IncidentsChanged i:
                foreach (var chunk in i.IncidentIds.Chunk(IdsPerMessage))
                    yield return (nameof(IncidentsChanged), JsonSerializer.SerializeToElement(new IncidentsChanged(i.WorkspaceId, chunk), Json));
                break;
            default:
                var type = domainEvent.GetType();
                if (Inline.ContainsKey(type.Name)) yield return (type.Name, JsonSerializer.SerializeToElement(domainEvent, type, Json));
                break;
        }
    }

    private static (string, JsonElement) Refs(string type, string workspaceId, IReadOnlyList<string> created, IReadOnlyList<string> changed) =>
        (type, JsonSerializer.SerializeToElement(new FindingRefs(workspaceId, created, changed), Json));

    /// <summary>The origin of a message, or null when it is not one of ours.</summary>
    public static string? OriginOf(string payload) => payload.IndexOf('|', StringComparison.Ordinal) is var bar and > 0 ? payload[..bar] : null;

    /// <summary>The event a message carries (findings read back from the store); null for a message to ignore.</summary>
    public async Task<DomainEvent?> DecodeAsync(string payload, CancellationToken ct)
    {
        var bar = payload.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0) return null;
        Envelope? envelope;
        try { envelope = JsonSerializer.Deserialize<Envelope>(payload.AsSpan(bar + 1), Json); }
        catch (JsonException) { return null; }
        if (envelope is null) return null;
        switch (envelope.T)
        {
            case "alerts":
                return await AlertsAsync(envelope.B.Deserialize<FindingRefs>(Json)!, ct);
            case "observations":
                return await ObservationsAsync(envelope.B.Deserialize<FindingRefs>(Json)!, ct);
            default:
                return Inline.TryGetValue(envelope.T, out var type) ? envelope.B.Deserialize(type, Json) as DomainEvent : null;
        }
    }

    /// <summary>Created ones become <see cref="AlertsCommitted"/>; a single changed one (a person's acknowledgement) <see cref="AlertChanged"/>.</summary>
    private async Task<DomainEvent?> AlertsAsync(FindingRefs refs, CancellationToken ct)
    {
        var ids = refs.Created.Concat(refs.Changed).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == refs.WorkspaceId && ids.Contains(a.Id)).ToListAsync(ct);
        var byId = rows.ToDictionary(a => a.Id, AlertJson.From, StringComparer.Ordinal);
        var created = refs.Created.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        var changed = refs.Changed.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        if (created.Count == 0 && changed.Count == 0) return null;
        return created.Count == 0 && changed.Count == 1 ? new AlertChanged(refs.WorkspaceId, changed[0]) : new AlertsCommitted(refs.WorkspaceId, created, changed);
    }

    private async Task<DomainEvent?> ObservationsAsync(FindingRefs refs, CancellationToken ct)
    {
        var ids = refs.Created.Concat(refs.Changed).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Observations.AsNoTracking().Where(o => o.WorkspaceId == refs.WorkspaceId && ids.Contains(o.Id)).ToListAsync(ct);
        var url = publicUrl.Value.Base;
        var byId = rows.ToDictionary(o => o.Id, o => ObservationJson.From(o, url), StringComparer.Ordinal);
        var created = refs.Created.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        if (created.Count > 0) return new ObservationsCommitted(refs.WorkspaceId, created);
        return refs.Changed.FirstOrDefault(byId.ContainsKey) is { } id ? new ObservationChanged(refs.WorkspaceId, byId[id]) : null;
    }
}
