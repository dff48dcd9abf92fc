using System.Globalization;
using Immutable.Domain;
using Immutable.Domain.Monitors;

namespace Immutable.Web.Components.Pages.Triage;

/// <summary>What one event added to an observation's metric: the monitor's own rule (<see cref="ActivityMonitor.Contribution"/>).</summary>
public static class ObservationValues
{
    /// <summary>The contribution for the observation's metric (its wire name); 0 for a metric this version does not know.</summary>
    public static double Contribution(string metric, QueryContext q) =>
        WireName.TryParse<MonitorMetric>(metric, out var m)
            ? new ActivityMonitor { Id = "", WorkspaceId = "", Name = "", Thresholds = [], Metric = m }.Contribution(q)
            : 0;

    public static string Format(double value) => value.ToString("#,0.##", CultureInfo.InvariantCulture);
}
