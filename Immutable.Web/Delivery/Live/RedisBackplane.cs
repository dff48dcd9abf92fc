using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Immutable.Web.Delivery.Live;

/// <summary>Section <c>Redis</c>: where SignalR's backplane runs when several instances serve <c>/hubs/alerts</c>.</summary>
public sealed class RedisSettings
{
    public const string Section = "Redis";

    /// <summary>A StackExchange.Redis configuration string (<c>redis.internal:6379,password=…</c>); unset: no backplane.</summary>
    public string? ConnectionString { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>Every channel the app uses on Redis starts with this: deployments sharing one Redis set their own.</summary>
    public string ChannelPrefix { get; set; } = "immutable";
}

public static class RedisBackplane
{
    /// <summary>
    /// With <c>Redis:ConnectionString</c>, SignalR sends hub messages through Redis pub/sub, so a message sent on one
    /// instance reaches the hub's clients connected to every instance (<see cref="AlertsHubPush"/> then pushes only the
    /// events published on its own instance). Without it, each instance's hub serves its own clients, and peer events
    /// reach them through <see cref="AlertsHubPush"/> on every instance.
    /// </summary>
    public static IHostApplicationBuilder AddRedisBackplane(this IHostApplicationBuilder builder, ISignalRServerBuilder signalR)
    {
        builder.Services.AddOptions<RedisSettings>().BindConfiguration(RedisSettings.Section)
            .Validate(o => !o.Configured || Parses(o.ConnectionString!), "Redis:ConnectionString is not a valid Redis configuration (e.g. \"redis.internal:6379,password=...\").")
            .ValidateOnStart();
        builder.Services.AddSingleton<RedisProbe>();
        var connectionString = builder.Configuration.GetSection(RedisSettings.Section)[nameof(RedisSettings.ConnectionString)];
        if (!string.IsNullOrWhiteSpace(connectionString) && Parses(connectionString))
        {
            var prefix = builder.Configuration.GetSection(RedisSettings.Section)[nameof(RedisSettings.ChannelPrefix)] is { Length: > 0 } configured ? configured : new RedisSettings().ChannelPrefix;
            signalR.AddStackExchangeRedis(connectionString, o =>
            {
                o.Configuration.ChannelPrefix = RedisChannel.Literal(prefix);
                // Start and keep serving while Redis is away; the connection is retried in the background.
                o.Configuration.AbortOnConnectFail = false;
            });
        }
        return builder;
    }

    private static bool Parses(string connectionString)
    {
        try
        {
            return ConfigurationOptions.Parse(connectionString).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>/readyz's view of Redis: <c>not_configured</c>, <c>ok</c> (a PING answered) or <c>unreachable</c>; never blocking.</summary>
public sealed class RedisProbe(IOptions<RedisSettings> options) : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _connection;

    public async Task<string> StatusAsync(CancellationToken ct)
    {
        if (!options.Value.Configured) return "not_configured";
        try
        {
            var connection = await ConnectAsync(ct);
            await connection.GetDatabase().PingAsync().WaitAsync(Timeout, ct);
            return "ok";
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return "unreachable";
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken ct)
    {
        if (_connection is { } ready) return ready;
        await _gate.WaitAsync(ct);
        try
        {
            if (_connection is null)
            {
                var configuration = ConfigurationOptions.Parse(options.Value.ConnectionString!);
                configuration.AbortOnConnectFail = false; // an unreachable server is a status, retried in the background
                configuration.ConnectTimeout = (int)Timeout.TotalMilliseconds;
                _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
            }
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } connection) await connection.DisposeAsync();
        _gate.Dispose();
    }
}
