using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Domain.Events;
using Immutable.Web.Api;
using Immutable.Web.Audit;
using Immutable.Web.Auth;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Workspaces;

public sealed record EventSchemaJson(string Mode, IReadOnlyList<string> Patterns);

public sealed record ViewerSettingsJson(IReadOnlyList<string> FrameAncestors);

public sealed record IncidentSettingsJson(string GroupBy, int WindowMinutes);

public sealed record WorkspaceSettingsJson(IReadOnlyList<string> IpAllowlist, EventSchemaJson EventSchema, ViewerSettingsJson Viewer, IncidentSettingsJson Incidents);

/// <summary>Request bodies (documentation; parsed by <see cref="WorkspaceSettingsService"/>).</summary>
public sealed record IpAllowlistInput(IReadOnlyList<string> Entries);

public sealed record EventSchemaInput(string Mode, IReadOnlyList<string> Patterns);

public sealed record ViewerSettingsInput(IReadOnlyList<string> FrameAncestors);

public sealed record IncidentSettingsInput(string GroupBy, int WindowMinutes);

/// <summary>
/// The IP allow-list, the event schema and the viewer's frame ancestors of a workspace, for the API and the dashboard:
/// admins and owners (and API keys) change them, every change is recorded in the workspace's chain with its before
/// and after, and the cached copy used on the request path is dropped after the commit.
/// </summary>
public sealed partial class WorkspaceSettingsService(
    IDbContextFactory<ImmutableDbContext> dbFactory, WorkspaceSettingsStore store, AuditTrail audit, IDomainEvents events, TimeProvider time)
{
    public const int MaxAllowlistEntries = 200;
    public const int MaxSchemaPatterns = 200;
    public const int MaxFrameAncestors = 20;


    /// <summary>An origin a CSP can name: scheme, host (optionally "*." first), optional port; nothing else.</summary>
    [GeneratedRegex(@"^https?://(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}))*(:[0-9]{1,5})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex OriginShape();

    public async Task<WorkspaceSettingsJson> GetAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.WorkspaceSettings.AsNoTracking().SingleOrDefaultAsync(s => s.WorkspaceId == who.WorkspaceId, ct)
            ?? new WorkspaceSettingsRecord { WorkspaceId = who.WorkspaceId };
        return ToJson(row);
    }

    public async Task<Result<WorkspaceSettingsJson>> UpdateIpAllowlistAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (root, problem) = await ReadObjectAsync(input, ct);
        if (problem is not null) return problem;
        var (entries, violation) = StringList(root, "entries", MaxAllowlistEntries);
        if (violation is not null) return Problem.Invalid([violation]);
        var violations = new List<Violation>();
        var normalized = new List<string>();
        for (var i = 0; i < entries!.Count; i++)
        {
            if (TryNormalizeNetwork(entries[i], out var text)) normalized.Add(text);
            else violations.Add(new Violation($"entries[{i}]", "must be an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)"));
        }
        if (violations.Count > 0) return Problem.Invalid(violations);
        return await ChangeAsync(who, "workspace.ip_allowlist_updated", "ip_allowlist",
            row => new JsonArray([.. StoreList(row.IpAllowlist)]),
            row => row.IpAllowlist = JsonSerializer.Serialize(normalized.Distinct(StringComparer.Ordinal).ToList()),
            ct);
    }

    public async Task<Result<WorkspaceSettingsJson>> UpdateEventSchemaAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (root, problem) = await ReadObjectAsync(input, ct);
        if (problem is not null) return problem;
        var violations = new List<Violation>();
        var mode = SchemaMode.Strict;
        if (root.TryGetProperty("mode", out var m) && m.ValueKind == JsonValueKind.String && WireName.TryParse<SchemaMode>(m.GetString(), out var parsedMode))
            mode = parsedMode;
        else
            violations.Add(new Violation("mode", "must be \"strict\" or \"permissive\""));
        var (patterns, violation) = StringList(root, "patterns", MaxSchemaPatterns);
        if (violation is not null) violations.Add(violation);
        else
        {
            for (var i = 0; i < patterns!.Count; i++)
                if (Immutable.Domain.Rules.ActionPattern.Problem(patterns[i]) is { } patternProblem)
                    violations.Add(new Violation($"patterns[{i}]", patternProblem));
        }
        if (violations.Count > 0) return Problem.Invalid(violations);
        var list = patterns!.Distinct(StringComparer.Ordinal).ToList();
        return await ChangeAsync(who, "workspace.event_schema_updated", "event_schema",
            row => new JsonObject { ["mode"] = row.SchemaMode, ["patterns"] = new JsonArray([.. StoreList(row.SchemaPatterns)]) },
            row => (row.SchemaMode, row.SchemaPatterns) = (WireName.Of(mode), JsonSerializer.Serialize(list)),
            ct);
    }

    public async Task<Result<WorkspaceSettingsJson>> UpdateViewerAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (root, problem) = await ReadObjectAsync(input, ct);
        if (problem is not null) return problem;
        var (origins, violation) = StringList(root, "frame_ancestors", MaxFrameAncestors);
        if (violation is not null) return Problem.Invalid([violation]);
        var violations = new List<Violation>();
        var normalized = new List<string>();
        for (var i = 0; i < origins!.Count; i++)
        {
            var origin = origins[i].Trim().TrimEnd('/');
            if (OriginShape().IsMatch(origin) && PortIsValid(origin)) normalized.Add(origin.ToLowerInvariant());
            else violations.Add(new Violation($"frame_ancestors[{i}]", "must be an origin: http(s)://host[:port], the host may start with *. (https://app.example.com, https://*.example.com); no path"));
        }
        if (violations.Count > 0) return Problem.Invalid(violations);
        return await ChangeAsync(who, "workspace.viewer_updated", "viewer",
            row => new JsonObject { ["frame_ancestors"] = new JsonArray([.. StoreList(row.FrameAncestors)]) },
            row => row.FrameAncestors = JsonSerializer.Serialize(normalized.Distinct(StringComparer.Ordinal).ToList()),
            ct);
    }

    /// <summary>How findings are grouped into incidents: by actor, session or ip_address, within a window of minutes.</summary>
    public async Task<Result<WorkspaceSettingsJson>> UpdateIncidentsAsync(WorkspacePrincipal who, JsonInput input, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        var (root, problem) = await ReadObjectAsync(input, ct);
        if (problem is not null) return problem;
        var violations = new List<Violation>();
        foreach (var p in root.EnumerateObject())
            if (p.Name is not ("group_by" or "window_minutes")) violations.Add(new Violation(p.Name, "is not an incident setting (group_by, window_minutes)"));
        var groupBy = Immutable.Domain.Alerts.IncidentGrouping.Actor;
        if (!root.TryGetProperty("group_by", out var g) || g.ValueKind != JsonValueKind.String || !WireName.TryParse(g.GetString(), out groupBy))
            violations.Add(new Violation("group_by", "must be " + string.Join(", ", WireName.All<Immutable.Domain.Alerts.IncidentGrouping>())));
        var window = 0;
        if (!root.TryGetProperty("window_minutes", out var w) || w.ValueKind != JsonValueKind.Number || !w.TryGetInt32(out window)
            || !Immutable.Domain.Alerts.IncidentGroupingRule.IsValidWindow(window))
            violations.Add(new Violation("window_minutes", "must be " + Immutable.Domain.Alerts.IncidentGroupingRule.WindowAllowed));
        if (violations.Count > 0) return Problem.Invalid(violations);
        return await ChangeAsync(who, "workspace.incidents_updated", "incidents",
            row => new JsonObject { ["group_by"] = row.IncidentGrouping, ["window_minutes"] = row.IncidentWindowMinutes },
            row => (row.IncidentGrouping, row.IncidentWindowMinutes) = (WireName.Of(groupBy), window),
            ct);
    }

    /// <summary>A new viewer-token key: every viewer token issued so far stops working.</summary>
    public async Task<Result<WorkspaceSettingsJson>> RotateViewerSecretAsync(WorkspacePrincipal who, CancellationToken ct = default)
    {
        if (!who.CanConfigure) return Problem.Forbidden;
        return await ChangeAsync(who, "workspace.viewer_secret_rotated", "viewer",
            _ => new JsonObject(), // the secret itself is never written anywhere but its row
            row => row.ViewerSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ct);
    }

    private async Task<Result<WorkspaceSettingsJson>> ChangeAsync(WorkspacePrincipal who, string action, string setting,
        Func<WorkspaceSettingsRecord, JsonNode> describe, Action<WorkspaceSettingsRecord> apply, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await store.GetOrCreateRowAsync(db, who.WorkspaceId, ct);
        var isNew = db.Entry(row).State == EntityState.Added;
        var saved = Snapshot(row);
        var before = describe(row);
        apply(row);
        row.UpdatedAt = Timestamps.ToMicroseconds(time.GetUtcNow());
        var after = describe(row);
        await db.SaveChangesAsync(ct);
        store.Invalidate(who.WorkspaceId);
        try
        {
            await audit.RecordOrUndoAsync(db, who.WorkspaceId, who.Actor, action, "workspace_settings", who.WorkspaceId, setting,
                new JsonObject { ["setting"] = setting, ["before"] = before, ["after"] = after },
                () => { if (isNew) db.WorkspaceSettings.Remove(row); else Restore(row, saved); }, ct);
        }
        finally
        {
            store.Invalidate(who.WorkspaceId);
        }
        events.Publish(new WorkspaceSettingsChanged(who.WorkspaceId));
        return ToJson(row);
    }

    private static WorkspaceSettingsRecord Snapshot(WorkspaceSettingsRecord r) => new()
    {
        WorkspaceId = r.WorkspaceId, ViewerSecret = r.ViewerSecret, FrameAncestors = r.FrameAncestors, IpAllowlist = r.IpAllowlist,
        SchemaMode = r.SchemaMode, SchemaPatterns = r.SchemaPatterns, UpdatedAt = r.UpdatedAt,
        IncidentGrouping = r.IncidentGrouping, IncidentWindowMinutes = r.IncidentWindowMinutes,
    };

    private static void Restore(WorkspaceSettingsRecord r, WorkspaceSettingsRecord s) =>
        (r.ViewerSecret, r.FrameAncestors, r.IpAllowlist, r.SchemaMode, r.SchemaPatterns, r.UpdatedAt, r.IncidentGrouping, r.IncidentWindowMinutes) =
        (s.ViewerSecret, s.FrameAncestors, s.IpAllowlist, s.SchemaMode, s.SchemaPatterns, s.UpdatedAt, s.IncidentGrouping, s.IncidentWindowMinutes);

    public static WorkspaceSettingsJson ToJson(WorkspaceSettingsRecord row) => new(
        WorkspaceSettingsStore.List(row.IpAllowlist),
        new EventSchemaJson(row.SchemaMode, WorkspaceSettingsStore.List(row.SchemaPatterns)),
        new ViewerSettingsJson(WorkspaceSettingsStore.List(row.FrameAncestors)),
        new IncidentSettingsJson(row.IncidentGrouping, row.IncidentWindowMinutes));

    private static IEnumerable<JsonNode?> StoreList(string json) => WorkspaceSettingsStore.List(json).Select(s => (JsonNode?)JsonValue.Create(s));

    /// <summary>
    /// An address (a /32 or /128) or a CIDR whose host bits are zero, in the standard text form; strict IP text only
    /// (<see cref="Ingest.EventInputParser.TryParseStrictIp"/>), so "10.1" or "0x7f.1" are refused, not guessed.
    /// </summary>
    public static bool TryNormalizeNetwork(string text, out string normalized)
    {
        normalized = "";
        text = text.Trim();
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!Ingest.EventInputParser.TryParseStrictIp(addressText, out var address)) return false;
        var max = address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0)
        {
            var prefixText = text[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit)
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max) return false;
        }
        // Host bits must be zero: 10.0.0.1/8 is more likely a typo than a wish for all of 10.0.0.0/8.
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) return false;
        var network = new IPNetwork(address, prefix);
        normalized = prefix == max ? address.ToString() : network.ToString();
        return true;
    }

    private static bool PortIsValid(string origin)
    {
        var colon = origin.LastIndexOf(':');
        if (colon <= "https".Length) return true; // the scheme's colon
        return int.TryParse(origin.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535;
    }

    private static async Task<(JsonElement Root, Problem? Problem)> ReadObjectAsync(JsonInput input, CancellationToken ct)
    {
        var (root, unreadable) = await input.ReadAsync(ct);
        if (unreadable is not null) return (default, unreadable);
        return root.ValueKind == JsonValueKind.Object ? (root, null) : (default, Problem.Invalid("body", "must be a JSON object"));
    }

    private static (List<string>? List, Violation? Violation) StringList(JsonElement root, string field, int max)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.Array)
            return (null, new Violation(field, "is required (an array of strings, [] for none)"));
        if (value.GetArrayLength() > max) return (null, new Violation(field, $"must have at most {max} items"));
        var list = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length > 256) return (null, new Violation($"{field}[{i}]", "must be a string of at most 256 characters"));
            list.Add(item.GetString()!);
            i++;
        }
        return (list, null);
    }
}
