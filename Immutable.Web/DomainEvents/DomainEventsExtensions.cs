using Immutable.Web.Storage;

namespace Immutable.Web.DomainEvents;

public static class DomainEventsExtensions
{
    /// <summary>
    /// The publisher: in-process on SQLite (one process); on PostgreSQL the same in-process one plus LISTEN/NOTIFY to
    /// the other instances sharing the database (<see cref="PostgresPeerEvents"/>).
    /// </summary>
    public static IHostApplicationBuilder AddDomainEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new InProcessDomainEvents(
            () => sp.GetServices<IDomainEventSubscriber>().ToList(), sp.GetRequiredService<ILogger<InProcessDomainEvents>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InProcessDomainEvents>());
        if (StorageExtensions.ProviderOf(builder.Configuration) == StorageProvider.Postgres)
        {
            builder.Services.AddSingleton<PeerEventWire>();
            builder.Services.AddSingleton<PostgresPeerEvents>();
            builder.Services.AddSingleton<IDomainEvents>(sp => sp.GetRequiredService<PostgresPeerEvents>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresPeerEvents>());
        }
        else
        {
            builder.Services.AddSingleton<IDomainEvents>(sp => sp.GetRequiredService<InProcessDomainEvents>());
        }
        return builder;
    }

    /// <summary>Subscribes an already registered singleton (it is the same instance that the rest of the app uses).</summary>
    public static IServiceCollection AddDomainEventSubscriber<T>(this IServiceCollection services) where T : class, IDomainEventSubscriber =>
        services.AddSingleton<IDomainEventSubscriber>(sp => sp.GetRequiredService<T>());
}
