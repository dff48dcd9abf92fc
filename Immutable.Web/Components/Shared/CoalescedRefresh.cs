namespace Immutable.Web.Components.Shared;

/// <summary>
/// Live pages refresh when detection commits: during a burst of thousands of alerts a page must not queue thousands
/// of reloads. Requests that arrive while a refresh runs collapse into one follow-up refresh, so the work per page
/// is bounded by how fast one refresh runs, whatever the alert rate.
/// </summary>
public sealed class CoalescedRefresh(Func<Task> refresh)
{
    private readonly Lock _gate = new();
    private bool _running;
    private bool _pending;

    public void Request()
    {
        lock (_gate)
        {
            if (_running)
            {
                _pending = true;
                return;
            }
            _running = true;
        }
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await refresh();
            }
            catch (ObjectDisposedException)
            {
                // The page closed meanwhile: nothing left to refresh.
            }
            lock (_gate)
            {
                if (!_pending)
                {
                    _running = false;
                    return;
                }
                _pending = false;
            }
        }
    }
}
