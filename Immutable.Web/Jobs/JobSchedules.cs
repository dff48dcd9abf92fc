using Immutable.Web.Detection;
using Quartz;

namespace Immutable.Web.Jobs;

/// <summary>
/// Every Quartz job and schedule of the app, in one place. Stream evaluation is no job: it runs as events commit
/// (<see cref="StreamEvaluationWorker"/>, woken through the domain events).
/// </summary>
public static class JobSchedules
{
    public static readonly JobKey ScheduledRules = new("scheduled-rules", "detection");
    public static readonly JobKey MonitorEvaluation = new("monitor-evaluation", "monitors");
    public static readonly JobKey ExportCleanup = new("export-cleanup", "exports");
    public static readonly JobKey Retention = new("retention", "retention");

    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        var detection = builder.Configuration.GetSection(DetectionOptions.Section).Get<DetectionOptions>() ?? new DetectionOptions();
        var monitors = builder.Configuration.GetSection(Immutable.Web.Monitors.QueryActivityOptions.Section).Get<Immutable.Web.Monitors.QueryActivityOptions>() ?? new();
        var exports = builder.Configuration.GetSection(Immutable.Web.Exports.ExportOptions.Section).Get<Immutable.Web.Exports.ExportOptions>() ?? new();
        var retention = builder.Configuration.GetSection(Immutable.Web.Retention.RetentionOptions.Section).Get<Immutable.Web.Retention.RetentionOptions>() ?? new();
        // An invalid RunAt is reported by the options' validation at start; the schedule falls back to the default meanwhile.
        var runAt = TimeOnly.TryParseExact(retention.RunAt, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)
            ? parsed : Immutable.Web.Retention.RetentionOptions.DefaultRunAt;
        builder.Services.AddQuartz(q =>
        {
            // A name per host instance: Quartz keeps schedulers in a process-wide registry (tests run several hosts).
            q.ConfigureScheduler(o => o.InstanceName = "immutable-" + Guid.NewGuid().ToString("N")[..8]);
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(maxConcurrency: 4);

            q.AddJob<ScheduledRulesJob>(j => j.WithIdentity(ScheduledRules).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(ScheduledRules)
                .WithIdentity("scheduled-rules-every-interval", "detection")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(detection.ScheduledRulesSeconds)).RepeatForever()));
            q.AddJob<MonitorEvaluationJob>(j => j.WithIdentity(MonitorEvaluation).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(MonitorEvaluation)
                .WithIdentity("monitor-evaluation-every-interval", "monitors")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(monitors.EvaluationSeconds)).RepeatForever()));
            q.AddJob<ExportCleanupJob>(j => j.WithIdentity(ExportCleanup).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(ExportCleanup)
                .WithIdentity("export-cleanup-every-interval", "exports")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(exports.CleanupMinutes)).RepeatForever()));
            // Once a day at Retention:RunAt, UTC.
            q.AddJob<RetentionJob>(j => j.WithIdentity(Retention).StoreDurably());
            q.AddTrigger(t => t
                .ForJob(Retention)
                .WithIdentity("retention-daily", "retention")
                .WithCronSchedule(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0 {runAt.Minute} {runAt.Hour} ? * *"), c => c.InTimeZone(TimeZoneInfo.Utc)));
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }
}
