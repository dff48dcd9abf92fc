using Immutable.Domain;
using System.Text.Json.Nodes;
using Immutable.Domain.Rules;
using Immutable.Web.Accounts;
using Immutable.Web.Alerts;
using Immutable.Web.Components.Shared;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Monitors;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Triage;

public sealed partial class Triage
{
    [Inject] private TriageQueries Queries { get; set; } = default!;
    [Inject] private TriageService TriageService { get; set; } = default!;
    [Inject] private LiveNotifier Live { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ViewerTime Viewer { get; set; } = default!;
    private readonly List<(string Field, string Message)> _rangeErrors = [];
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private static readonly IReadOnlyList<string> RuleTypes = WireName.All<RuleType>().ToList();
    private MudDataGrid<TriageRow>? _grid;
    private TriageFilter _filter = new();
    private DashboardUser _user = default!;
    private IReadOnlyList<(string Id, string Name)> _sources = [];
    private HashSet<TriageRow> _selected = [];
    /// <summary>Rows that arrived live in this tab (highlighted); filled from the notifier's thread.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _fresh = new(StringComparer.Ordinal);
    private string? _note;
    private bool _busy;
    private CoalescedRefresh _live = default!;

    protected override async Task OnInitializedAsync()
    {
        _user = DashboardUser.From((await AuthState).User)!;
        _filter = TriageFilter.Parse(new Uri(Navigation.Uri).Query, Viewer.Zone, _rangeErrors);
        _sources = await Queries.SourcesAsync(_user.WorkspaceId, _filter.IsObservations);
        _live = new CoalescedRefresh(() => InvokeAsync(async () =>
        {
            if (_grid is not null) await _grid.ReloadServerData();
            StateHasChanged();
        }));
        Live.AlertRaised += OnAlertRaised;
        Live.AlertChanged += OnAlertChanged;
        Live.ObservationCreated += OnObservationCreated;
    }

    private async Task<GridData<TriageRow>> LoadAsync(GridState<TriageRow> state, CancellationToken ct)
    {
        var (rows, total) = await Queries.PageAsync(_user.WorkspaceId, _filter, state.Page, state.PageSize, ct);
        return new GridData<TriageRow> { Items = rows, TotalItems = total };
    }

    private async Task ApplyAsync(TriageFilter filter)
    {
        var kindChanged = filter.Kind != _filter.Kind;
        _filter = filter;
        _selected = [];
        // The URL is the view: shareable, and Back returns to the previous filters.
        Navigation.NavigateTo("/triage" + _filter.ToQueryString(), replace: false);
        if (kindChanged) _sources = await Queries.SourcesAsync(_user.WorkspaceId, _filter.IsObservations);
        if (_grid is not null) await _grid.ReloadServerData();
    }

    private Task KindChangedAsync(string kind) =>
        ApplyAsync(new TriageFilter { Kind = kind, Status = _filter.Status, Severities = _filter.Severities, Actor = _filter.Actor, Range = _filter.Range });

    private string StatusValue => _filter.Status ?? "all";
    private Task StatusChangedAsync(string value) => ApplyAsync(_filter with { Status = value == "all" ? null : value });
    private Task SeveritiesChangedAsync(IEnumerable<string> values) => ApplyAsync(_filter with { Severities = values.ToList() });
    private Task RuleTypeChangedAsync(string? value) => ApplyAsync(_filter with { RuleType = value });
    private Task SourceChangedAsync(string? value) => ApplyAsync(_filter with { SourceId = value });
    private Task ActorChangedAsync(string? value) => ApplyAsync(_filter with { Actor = string.IsNullOrWhiteSpace(value) ? null : value.Trim() });
    private Task RangeChangedAsync(TimeRange value) => ApplyAsync(_filter with { Range = value });

    private void OnSelectionChanged(HashSet<TriageRow> rows) => _selected = rows;

    private void OpenAsync(DataGridRowClickEventArgs<TriageRow> args) =>
        Navigation.NavigateTo(args.Item.Kind == "alert" ? $"/alerts/{args.Item.Id}" : $"/observations/{args.Item.Id}");

    private async Task AcknowledgeSelectedAsync()
    {
        _busy = true;
        var failed = 0;
        foreach (var row in _selected.ToList())
        {
            var note = ResultDisplay.Optional(_note);
            var succeeded = row.Kind == "alert"
                ? (await TriageService.AcknowledgeAlertAsync(_user.Caller, row.Id, note)).Succeeded
                : (await TriageService.AcknowledgeObservationAsync(_user.Caller, row.Id, note)).Succeeded;
            if (!succeeded) failed++;
        }
        Snackbar.Add(failed == 0 ? $"Acknowledged {_selected.Count}." : $"{failed} could not be acknowledged.", failed == 0 ? Severity.Success : Severity.Warning);
        _selected = [];
        _note = null;
        _busy = false;
        if (_grid is not null) await _grid.ReloadServerData();
    }

    private void OnAlertRaised(string workspaceId, AlertJson alert)
    {
        if (workspaceId != _user.WorkspaceId || _filter.IsObservations) return;
        _fresh.TryAdd(alert.Id, 0);
        _live.Request();
    }

    private void OnAlertChanged(string workspaceId, AlertJson alert)
    {
        if (workspaceId == _user.WorkspaceId && !_filter.IsObservations) _live.Request();
    }

    private void OnObservationCreated(string workspaceId, ObservationJson observation)
    {
        if (workspaceId != _user.WorkspaceId || !_filter.IsObservations) return;
        _fresh.TryAdd(observation.Id, 0);
        _live.Request();
    }

    public void Dispose()
    {
        Live.AlertRaised -= OnAlertRaised;
        Live.AlertChanged -= OnAlertChanged;
        Live.ObservationCreated -= OnObservationCreated;
    }
}
