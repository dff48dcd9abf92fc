using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.RateLimiting;

namespace Immutable.Web.Api;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Requests a workspace may make per second on average.</summary>
    [Range(1, 10_000_000)]
    public int PermitsPerSecond { get; set; } = 5_000;

    /// <summary>Requests a workspace may burst above the average.</summary>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 10_000;

    /// <summary>Requests one client address may make per minute to the routes that need no key (public anchor checks, signing keys).</summary>
    [Range(1, 1_000_000)]
    public int PublicPerMinute { get; set; } = 60;
}

/// <summary>A token bucket per workspace; rejected requests get 429, Retry-After and the envelope.</summary>
public static class RateLimiting
{
    public const string PerWorkspace = "per-workspace";
    public const string PerAddress = "per-address";

    public static IHostApplicationBuilder AddApiRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PerWorkspace, http =>
                RateLimitPartition.GetTokenBucketLimiter(http.User.WorkspaceIdOrNull() ?? "anonymous", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            limiter.AddPolicy(PerAddress, http =>
                RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PublicPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                    : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ErrorHandling.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                    new ApiError("rate_limited", $"Too many requests; retry after {retryAfter} s.")));
            };
        });
        return builder;
    }
}
