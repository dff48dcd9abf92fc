using Immutable.Web.Delivery.Webhook;

namespace Immutable.Web.Delivery;

public static class DeliveryExtensions
{
    public static IHostApplicationBuilder AddDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WebhookUrlGuard>();
        // No redirects, no proxy, and every connection through the SSRF guard's resolve-check-connect.
        builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<WebhookUrlGuard>().ConnectAsync,
            })
            .ConfigureHttpClient((sp, client) => client.Timeout = Timeout.InfiniteTimeSpan); // per attempt, in the dispatcher
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return builder;
    }
}
