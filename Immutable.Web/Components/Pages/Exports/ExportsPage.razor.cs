using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.Accounts;
using Immutable.Web.Api;
using Immutable.Web.Components.Shared;
using Immutable.Web.Exports;
using Immutable.Web.Retention;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Exports;

/// <summary>
/// Create an export with the Events page's filters (prefilled from the URL, so "Export" buttons elsewhere carry theirs),
/// follow its progress, download it until it expires. Warns when the range reaches events retention archived or will.
/// </summary>
public sealed partial class ExportsPage
{
    /// <summary>The filters, named as in the API and the URL.</summary>
    public sealed class Filters
    {
        public string? ActorId { get; set; }
        public string? Action { get; set; }
        public string? Resource { get; set; }
        public string? SessionId { get; set; }
        public string? TenantId { get; set; }
        public string? Search { get; set; }
        public string? IpAddress { get; set; }
        public string? Country { get; set; }
        public DateTime? From { get; set; }
        public DateTime? To { get; set; }
        /// <summary>From/To bound the event time (occurred_at, as the Events page does by default) or the ingestion time.</summary>
        public bool ByOccurredAt { get; set; }
    }

    [Inject] private ExportService Exports { get; set; } = default!;
    [Inject] private RetentionService Retention { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private DashboardUser _user = default!;
    private readonly Filters _f = new();
    private ExportFormat _format = ExportFormat.Csv;
    private IReadOnlyList<ExportJson>? _exports;
    private RetentionJson? _retention;
    private string? _retentionWarning;
    private string? _error;
    private bool _creating;
    private readonly CancellationTokenSource _disposed = new();
    private Task? _polling;

    protected override async Task OnInitializedAsync()
    {
        _user = DashboardUser.From((await AuthState).User)!;
        var q = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(Navigation.Uri).Query);
        string? Get(string k) => q.TryGetValue(k, out var v) && v.Count > 0 && v[0] is { Length: > 0 } s ? s : null;
        DateTime? Time(string k) => Get(k) is { } text && RequestValues.TryParseIso8601(text, out var t) ? t : null;
        (_f.ActorId, _f.Action, _f.Resource, _f.SessionId, _f.TenantId, _f.Search) =
            (Get("actor_id"), Get("action"), Get("resource"), Get("session_id"), Get("tenant_id"), Get("search"));
        (_f.IpAddress, _f.Country) = (Get("ip_address"), Get("country"));
        (_f.From, _f.To) = (Time("from"), Time("to"));
        _f.ByOccurredAt = Get("time") == "occurred";
        if (Get("format") is { } format && WireName.TryParse<ExportFormat>(format, out var parsed)) _format = parsed;
        _retention = await Retention.GetAsync(_user.Caller);
        CheckRetention();
        await LoadAsync();
    }

    /// <summary>The query string that opens this page with <paramref name="filters"/> (the Events page and the timeline link here with theirs).</summary>
    public static string Href(IEnumerable<KeyValuePair<string, string?>> filters) =>
        "/exports" + (Microsoft.AspNetCore.Http.QueryString.Create(filters.Where(p => !string.IsNullOrWhiteSpace(p.Value))).Value ?? "");

    private async Task LoadAsync()
    {
        _exports = await Exports.ListAsync(_user.Caller);
        if (_exports.Any(e => e.Status is ExportStatus.Pending or ExportStatus.Processing) && _polling is null or { IsCompleted: true })
            _polling = PollAsync();
    }

    /// <summary>While an export is waiting or running, the list refreshes every second.</summary>
    private async Task PollAsync()
    {
        try
        {
            while (!_disposed.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _disposed.Token);
                var list = await Exports.ListAsync(_user.Caller, ct: _disposed.Token);
                if (_disposed.IsCancellationRequested) return;
                await InvokeAsync(() => { _exports = list; StateHasChanged(); });
                if (!list.Any(e => e.Status is ExportStatus.Pending or ExportStatus.Processing)) return;
            }
        }
        catch (OperationCanceledException)
        {
            // The page was left.
        }
    }

    private async Task CreateAsync()
    {
        _creating = true;
        _error = null;
        var body = new JsonObject { ["format"] = WireName.Of(_format) };
        void Set(string name, string? value) { if (!string.IsNullOrWhiteSpace(value)) body[name] = value.Trim(); }
        Set("actor_id", _f.ActorId);
        Set("action", _f.Action);
        Set("resource", _f.Resource);
        Set("session_id", _f.SessionId);
        Set("tenant_id", _f.TenantId);
        Set("search", _f.Search);
        Set("ip_address", _f.IpAddress);
        Set("country", _f.Country);
        if (_f.ByOccurredAt) body["time"] = "occurred";
        // The inputs are UTC wall times (as on the Events page).
        if (_f.From is { } from) body["from"] = Timestamps.ToIso(DateTime.SpecifyKind(from, DateTimeKind.Utc));
        if (_f.To is { } to) body["to"] = Timestamps.ToIso(DateTime.SpecifyKind(to, DateTimeKind.Utc));
        using var input = JsonInput.Of(body);
        var result = await Exports.CreateAsync(_user.Caller, input);
        if (!result.Succeeded)
        {
            var violations = result.Problem!.Error.Violations;
            _error = violations is { Count: > 0 } ? string.Join("; ", violations.Select(v => $"{v.Field} {v.Message}")) : result.Message();
        }
        _creating = false;
        await LoadAsync();
    }

    /// <summary>
    /// The stored chain starts after the retention cut: an export cannot hold older events (they are in the archives), and
    /// with a window set, events before its boundary leave the store at the next run.
    /// </summary>
    private void CheckRetention()
    {
        _retentionWarning = null;
        if (_retention is null) return;
        var from = _f.From is { } f ? DateTime.SpecifyKind(f, DateTimeKind.Utc) : (DateTime?)null;
        var parts = new List<string>();
        if (_retention.ArchivedThrough is { } cut && (from is null || from < Parse(_retention.OldestEventAt ?? cut.CreatedAt)))
            parts.Add($"Events created up to {Short(cut.CreatedAt)} UTC (sequence {cut.Sequence.ToString(CultureInfo.InvariantCulture)} and before) were archived by retention and are not in the store: this export cannot include them; their archives are listed in Settings → Retention.");
        if (_retention.ArchiveBefore is { } boundary && (from is null || from < Parse(boundary)))
            parts.Add($"This range crosses the retention boundary: events created before {Short(boundary)} UTC are archived and removed at the next retention run ({_retention.RetentionDays} days kept).");
        _retentionWarning = parts.Count == 0 ? null : string.Join(" ", parts);
    }

    private static DateTime Parse(string iso) => RequestValues.TryParseIso8601(iso, out var t) ? t : DateTime.MinValue;

    private static string Short(string iso) => RequestValues.TryParseIso8601(iso, out var t) ? t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : iso;

    private static string FiltersText(ExportJson e)
    {
        using var doc = JsonDocument.Parse(e.Filters.Text);
        var parts = doc.RootElement.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").ToList();
        return parts.Count == 0 ? "all events" : string.Join(", ", parts);
    }

    private static string StatusText(ExportJson e) => e.Expired && e.Status == ExportStatus.Completed ? "expired" : WireName.Of(e.Status);

    private static Color StatusColor(ExportJson e) => e.Status switch
    {
        ExportStatus.Completed => e.Expired ? Color.Default : Color.Success,
        ExportStatus.Failed => Color.Error,
        ExportStatus.Pending => Color.Default,
        ExportStatus.Processing => Color.Info,
        _ => Color.Default,
    };

    private static double Percent(ExportJson e) => e.TotalRows is { } total && total > 0 ? 100.0 * e.RowsWritten / total : 0;

    private static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " MB",
    };

    // Cancelled, not disposed: the polling loop may still read its token once more.
    public void Dispose() => _disposed.Cancel();
}
