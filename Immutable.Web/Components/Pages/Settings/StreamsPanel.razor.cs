using System.Text.Json.Nodes;
using Immutable.Web.Accounts;
using Immutable.Web.Api;
using Immutable.Web.Components.Shared;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.Streams;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Immutable.Web.Components.Pages.Settings;

/// <summary>Settings → Viewer &amp; streams: the viewer's allowed frame ancestors, its key rotation, and log streams.</summary>
public partial class StreamsPanel
{
    [Parameter, EditorRequired] public DashboardUser User { get; set; } = default!;
    private string? _ancestors;
    private string? _viewerError;
    private IReadOnlyList<LogStreamJson> _streams = [];
    private readonly Dictionary<string, IReadOnlyList<DeliveryJson>> _logs = [];
    private string? _url;
    private string? _secret;
    private string? _streamError;
    private readonly FieldMessages _viewerMessages = new();
    private readonly FieldMessages _streamMessages = new();

    protected override async Task OnInitializedAsync()
    {
        _ancestors = string.Join('\n', (await Settings.GetAsync(User.Caller)).Viewer.FrameAncestors);
        await LoadAsync();
    }

    private async Task LoadAsync() => _streams = await Streams.ListAsync(User.Caller);

    private async Task SaveViewerAsync()
    {
        using var input = JsonInput.Of(new JsonObject { ["frame_ancestors"] = AccessPanel.Lines(_ancestors) });
        var result = await Settings.UpdateViewerAsync(User.Caller, input);
        _viewerError = AccessPanel.Shown(result, _viewerMessages, "frame_ancestors");
        if (result.Succeeded) { _ancestors = string.Join('\n', result.Value!.Viewer.FrameAncestors); Snackbar.Add("Viewer origins saved.", Severity.Success); }
    }

    private async Task RotateAsync() =>
        Snackbar.Show(await Settings.RotateViewerSecretAsync(User.Caller), "Every viewer token issued so far is revoked.", "Could not revoke.");

    private async Task CreateAsync()
    {
        using var input = JsonInput.Of(new JsonObject { ["type"] = "webhook", ["url"] = ResultDisplay.Optional(_url) });
        var result = await Streams.CreateAsync(User.Caller, input);
        _streamError = AccessPanel.Shown(result, _streamMessages, "url");
        if (!result.Succeeded) return;
        (_url, _secret) = (null, result.Value!.Secret);
        await LoadAsync();
    }

    private async Task EnableAsync(LogStreamJson stream, bool enabled)
    {
        using var input = JsonInput.Of(new JsonObject { ["url"] = stream.Url, ["enabled"] = enabled });
        Snackbar.Show(await Streams.UpdateAsync(User.Caller, stream.Id, input), enabled ? "Stream enabled." : "Stream disabled.", "Could not save.");
        await LoadAsync();
    }

    private async Task ToggleLogAsync(string id)
    {
        if (!_logs.Remove(id)) _logs[id] = (await Webhooks.DeliveriesAsync(User.Caller, id, cursor: null, limit: 20)).Value?.Data ?? [];
    }

    private async Task DeleteAsync(string id)
    {
        Snackbar.Show(await Streams.DeleteAsync(User.Caller, id), "Stream deleted.", "Could not delete.");
        await LoadAsync();
    }
}
