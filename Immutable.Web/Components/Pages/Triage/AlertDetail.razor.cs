using System.Text.Json;
using System.Text.Json.Nodes;
using Immutable.Web.Accounts;
using Immutable.Web.Alerts;
using Immutable.Web.Audit;
using Immutable.Web.Components.Shared;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Triage;

public sealed partial class AlertDetail : IDisposable
{
    [Parameter] public string Id { get; set; } = "";
    [Inject] private IDbContextFactory<ImmutableDbContext> DbFactory { get; set; } = default!;
    [Inject] private TriageService TriageService { get; set; } = default!;
    [Inject] private LiveNotifier Live { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private DashboardUser _user = default!;
    private AlertRecord? _alert;
    private EventRecord? _event;
    private List<EventRecord> _related = [];
    private List<AlertRecord> _contributing = [];
    private string? _note;
    private bool _loading = true;
    private bool _busy;

    protected override async Task OnParametersSetAsync()
    {
        _user = DashboardUser.From((await AuthState).User)!;
        await LoadAsync();
        Live.AlertChanged -= OnChanged;
        Live.AlertChanged += OnChanged;
    }

    private async Task LoadAsync()
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        _alert = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == Id && a.WorkspaceId == _user.WorkspaceId);
        if (_alert is not null)
        {
            _event = _alert.EventId is { } eventId
                ? await db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == eventId && e.WorkspaceId == _user.WorkspaceId)
                : null;
            var relatedIds = ReadIds(_alert.RelatedEventIds).Where(id => id != _alert.EventId).Take(50).ToList();
            _related = await db.Events.AsNoTracking().Where(e => e.WorkspaceId == _user.WorkspaceId && relatedIds.Contains(e.Id)).OrderBy(e => e.Sequence).ToListAsync();
            // Correlation alerts name the alerts they combine in their context.
            var alertIds = ReadContextAlertIds(_alert.Context);
            _contributing = alertIds.Count == 0 ? [] : await db.Alerts.AsNoTracking().Where(a => a.WorkspaceId == _user.WorkspaceId && alertIds.Contains(a.Id)).ToListAsync();
        }
        _loading = false;
    }

    private async Task AcknowledgeAsync()
    {
        _busy = true;
        Snackbar.Show(await TriageService.AcknowledgeAlertAsync(_user.Caller, Id, ResultDisplay.Optional(_note)), "Acknowledged.", "Could not acknowledge.");
        await LoadAsync();
        _busy = false;
    }

    private void OnChanged(string workspaceId, AlertJson alert)
    {
        if (workspaceId == _user.WorkspaceId && alert.Id == Id) _ = InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); });
    }

    private static List<string> ReadIds(string json)
    {
        try { return JsonSerializer.Deserialize<List<string>>(json) ?? []; }
        catch (JsonException) { return []; }
    }

    private static List<string> ReadContextAlertIds(string json)
    {
        try
        {
            var node = JsonNode.Parse(json);
            return (node?["alerts"] as JsonArray ?? [])
                .Select(n => n?["id"]?.GetValue<string>()).OfType<string>().ToList();
        }
        catch (JsonException) { return []; }
    }

    public void Dispose() => Live.AlertChanged -= OnChanged;
}
