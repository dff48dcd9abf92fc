using System.Globalization;
using System.Text.Json.Nodes;
using Immutable.Web.Accounts;
using Immutable.Web.Api;
using Immutable.Web.Components.Shared;
using Immutable.Web.Delivery.Live;
using Immutable.Web.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Incidents;

/// <summary>
/// One incident: its findings, the triage form (status, resolution, note, assignee) and the comment timeline. Both
/// forms go through <see cref="IncidentService"/>, as the API does; what it refuses is shown next to the field.
/// </summary>
public sealed partial class IncidentDetail : IDisposable
{
    private const string Unassigned = "none";

    [Parameter] public string Id { get; set; } = "";
    [Inject] private IncidentService Incidents { get; set; } = default!;
    [Inject] private LiveNotifier Live { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private DashboardUser _user = default!;
    private IncidentDetailJson? _view;
    private IReadOnlyList<(string Email, string? Name)> _members = [];
    private string _status = "open";
    private string? _resolution;
    private string? _note;
    private string _assignee = Unassigned;
    private string? _comment;
    private Dictionary<string, string> _errors = [];
    private Dictionary<string, string> _commentErrors = [];
    private string? _message;
    private bool _loading = true;
    private bool _busy;

    protected override async Task OnParametersSetAsync()
    {
        _user = DashboardUser.From((await AuthState).User)!;
        _members = await Incidents.AssigneesAsync(_user.WorkspaceId);
        await LoadAsync(resetForm: true);
        Live.IncidentsChanged -= OnChanged;
        Live.IncidentsChanged += OnChanged;
    }

    private async Task LoadAsync(bool resetForm)
    {
        var result = await Incidents.GetAsync(_user.Caller, Id);
        _view = result.Value;
        _loading = false;
        if (resetForm && _view is { } v)
        {
            _status = v.Incident.Status;
            _resolution = v.Incident.Resolution;
            _note = v.Incident.Note;
            _assignee = v.Incident.Assignee ?? Unassigned;
        }
    }

    private async Task SaveAsync()
    {
        _busy = true;
        _message = null;
        var body = new JsonObject
        {
            ["status"] = _status,
            ["note"] = ResultDisplay.Optional(_note),
            ["assignee"] = _assignee == Unassigned ? null : _assignee,
        };
        if (_status == "resolved") body["resolution"] = _resolution;
        using var input = JsonInput.Of(body);
        var result = await Incidents.UpdateAsync(_user.Caller, Id, input);
        _errors = result.Violations();
        if (result.Succeeded)
        {
            Snackbar.Add("Saved.", Severity.Success);
            await LoadAsync(resetForm: true);
        }
        else if (_errors.Count == 0) _message = result.Message() ?? "Could not save.";
        _busy = false;
    }

    private async Task CommentAsync()
    {
        _busy = true;
        using var input = JsonInput.Of(new JsonObject { ["text"] = _comment ?? "" });
        var result = await Incidents.CommentAsync(_user.Caller, Id, input);
        _commentErrors = result.Violations();
        if (result.Succeeded)
        {
            _comment = null;
            await LoadAsync(resetForm: false);
        }
        else if (_commentErrors.Count == 0) Snackbar.Add(result.Message() ?? "Could not add the comment.", Severity.Error);
        _busy = false;
    }

    private void OnChanged(string workspaceId, IReadOnlyList<string> ids)
    {
        // Another person's change or new findings: refresh what is shown, keep what is being typed in the forms.
        if (workspaceId == _user.WorkspaceId && ids.Contains(Id, StringComparer.Ordinal))
            _ = InvokeAsync(async () => { await LoadAsync(resetForm: false); StateHasChanged(); });
    }

    private static string Time(string iso) =>
        DateTime.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var t) ? t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : iso;

    private static string GroupLabel(string groupBy) => groupBy switch
    {
        "session" => "Session",
        "ip_address" => "IP address",
        _ => "Actor",
    };

    private static string ResolutionLabel(string resolution) => resolution switch
    {
        "true_positive" => "True positive",
        "false_positive" => "False positive",
        _ => "Benign",
    };

    public void Dispose() => Live.IncidentsChanged -= OnChanged;
}
