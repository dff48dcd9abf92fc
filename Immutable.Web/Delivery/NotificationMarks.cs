using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Delivery;

/// <summary>Sets <c>notified_at</c> on alerts and observations the first time any channel delivered them.</summary>
public static class NotificationMarks
{
    public static async Task MarkNotifiedAsync(ImmutableDbContext db, IReadOnlyList<string> recordIds, DateTime at)
    {
        var alerts = recordIds.Where(id => id.StartsWith("alt_", StringComparison.Ordinal)).ToList();
        var observations = recordIds.Where(id => id.StartsWith("obs_", StringComparison.Ordinal)).ToList();
        if (alerts.Count > 0)
            await db.Alerts.Where(a => alerts.Contains(a.Id) && a.NotifiedAt == null).ExecuteUpdateAsync(s => s.SetProperty(a => a.NotifiedAt, at));
        if (observations.Count > 0)
            await db.Observations.Where(o => observations.Contains(o.Id) && o.NotifiedAt == null).ExecuteUpdateAsync(s => s.SetProperty(o => o.NotifiedAt, at));
    }
}
