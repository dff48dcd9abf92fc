using Immutable.Web.Accounts;
using Immutable.Web.Alerts;
using Immutable.Web.Components.Shared;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Storage;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Triage;

public sealed partial class AlertDetail : IDisposable
{
    [Parameter] public string Id { get; set; } = "";
    [Inject] private TriageQueries Queries { get; set; } = default!;
    [Inject] private TriageService TriageService { get; set; } = default!;
    [Inject] private LiveNotifier Live { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private DashboardUser _user = default!;
    private AlertRecord? _alert;
    private EventRecord? _event;
    private IReadOnlyList<EventRecord> _related = [];
    private IReadOnlyList<AlertRecord> _contributing = [];
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
        var view = await Queries.AlertAsync(_user.WorkspaceId, Id);
        (_alert, _event, _related, _contributing) = view is null ? (null, null, [], []) : (view.Alert, view.Event, view.Related, view.Contributing);
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

    public void Dispose() => Live.AlertChanged -= OnChanged;
}
