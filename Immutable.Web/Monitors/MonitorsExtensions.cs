namespace Immutable.Web.Monitors;

public static class MonitorsExtensions
{
    public static IHostApplicationBuilder AddMonitors(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueryActivityOptions>().BindConfiguration(QueryActivityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MonitorEvaluator>();
        builder.Services.AddSingleton<MonitorService>();
        return builder;
    }
}
