namespace Immutable.Web.Alerts;

public static class AlertsExtensions
{
    /// <summary>Triage of alerts and observations (acknowledging), shared by the API and the dashboard.</summary>
    public static IHostApplicationBuilder AddTriage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TriageService>();
        return builder;
    }
}
