namespace Immutable.Web.DomainEvents;

public static class DomainEventsExtensions
{
    /// <summary>The in-process publisher; a multi-instance deployment registers a Redis or PostgreSQL one instead.</summary>
    public static IHostApplicationBuilder AddDomainEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new InProcessDomainEvents(
            () => sp.GetServices<IDomainEventSubscriber>().ToList(), sp.GetRequiredService<ILogger<InProcessDomainEvents>>()));
        builder.Services.AddSingleton<IDomainEvents>(sp => sp.GetRequiredService<InProcessDomainEvents>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InProcessDomainEvents>());
        return builder;
    }

    /// <summary>Subscribes an already registered singleton (it is the same instance that the rest of the app uses).</summary>
    public static IServiceCollection AddDomainEventSubscriber<T>(this IServiceCollection services) where T : class, IDomainEventSubscriber =>
        services.AddSingleton<IDomainEventSubscriber>(sp => sp.GetRequiredService<T>());
}
