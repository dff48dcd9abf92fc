using Immutable.Web.DomainEvents;

namespace Immutable.Web.Detection;

public static class DetectionExtensions
{
    public static IHostApplicationBuilder AddDetection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DetectionOptions>().BindConfiguration(DetectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<StreamEvaluator>();
        builder.Services.AddDomainEventSubscriber<StreamEvaluator>(); // rule changes invalidate loaded rule sets
        builder.Services.AddSingleton<AlertRuleService>();
        builder.Services.AddSingleton<ScheduledRuleEvaluator>();
        // Only stream evaluation is switched by Detection:StreamEvaluation; spike rules and monitors keep their schedules.
        var enabled = builder.Configuration.GetSection(DetectionOptions.Section).GetValue(nameof(DetectionOptions.StreamEvaluation), true);
        if (enabled)
        {
            builder.Services.AddSingleton<StreamEvaluationWorker>();
            builder.Services.AddDomainEventSubscriber<StreamEvaluationWorker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StreamEvaluationWorker>());
        }
        return builder;
    }
}
