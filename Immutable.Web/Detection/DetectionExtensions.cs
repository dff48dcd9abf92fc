using Immutable.Web.Storage;

namespace Immutable.Web.Detection;

public static class DetectionExtensions
{
    public static IHostApplicationBuilder AddDetection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DetectionOptions>().BindConfiguration(DetectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<StreamEvaluator>();
        builder.Services.AddSingleton<AlertRuleService>();
        builder.Services.AddSingleton<ScheduledRuleEvaluator>();
        builder.Services.AddSingleton<DetectionSignal>();
        var enabled = builder.Configuration.GetSection(DetectionOptions.Section).GetValue(nameof(DetectionOptions.StreamEvaluation), true);
        if (enabled) builder.Services.AddSingleton<IEventCommitObserver>(sp => sp.GetRequiredService<DetectionSignal>());
        return builder;
    }
}
