using Immutable.Web.Delivery.Live;
using Immutable.Web.Delivery.Webhook;
using Immutable.Web.DomainEvents;
using Immutable.Web.Net;

namespace Immutable.Web.Delivery;

public static class DeliveryExtensions
{
    public static IHostApplicationBuilder AddDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.AllowedPorts.All(p => p is >= 1 and <= 65535), "Webhooks:AllowedPorts holds a port outside 1-65535.")
            .Validate(o => o.AllowedPrivateHosts.All(h => !string.IsNullOrWhiteSpace(h)), "Webhooks:AllowedPrivateHosts holds an empty entry.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new HostAddresses(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<WebhookUrlGuard>();
        builder.Services.AddSingleton<WebhookEndpointService>();
        // No redirects, no proxy, and every connection through the SSRF guard's resolve-check-connect.
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<WebhookUrlGuard>().ConnectAsync,
                // A receiver's body is read only as far as the log's excerpt; the rest is never drained into memory
                // or time: the connection is dropped instead (see WebhookDispatcher.ReadExcerptAsync).
                MaxResponseDrainSize = 0,
                MaxResponseHeadersLength = 64, // KiB
            })
            .ConfigureHttpClient((sp, client) => client.Timeout = Timeout.InfiniteTimeSpan); // per attempt, in the dispatcher
        builder.Services.AddOptions<Email.EmailOptions>().BindConfiguration(Email.EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Email.EmailSender>();
        builder.Services.AddDomainEventSubscriber<Email.EmailSender>();
        builder.Services.AddSingleton<Email.EmailTestService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Email.EmailSender>());
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddDomainEventSubscriber<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        // Same JSON as the HTTP API: snake_case names, enums as strings.
        var signalR = builder.Services.AddSignalR().AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
        });
        builder.AddRedisBackplane(signalR);
        builder.Services.AddSingleton<AlertsHubPush>();
        builder.Services.AddDomainEventSubscriber<AlertsHubPush>();
        builder.Services.AddSingleton<LiveNotifier>();
        builder.Services.AddDomainEventSubscriber<LiveNotifier>();
        return builder;
    }

    public static WebApplication MapDelivery(this WebApplication app)
    {
        app.MapHub<AlertsHub>("/hubs/alerts");
        return app;
    }
}
