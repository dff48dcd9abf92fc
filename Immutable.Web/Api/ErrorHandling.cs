using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Api;

/// <summary>
/// Every failure leaves as the JSON envelope: unhandled exceptions become a 500 without a stack trace,
/// and bodiless status codes (unknown route 404, 405, Kestrel's 413...) get the envelope too.
/// </summary>
public static class ErrorHandling
{
    public static IServiceCollection AddApiErrorHandling(this IServiceCollection services)
    {
        services.AddExceptionHandler<EnvelopeExceptionHandler>();
        return services;
    }

    public static WebApplication UseApiErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = StatusFor,
            // Reached only if the IExceptionHandler above declined; still the envelope, never a stack trace.
            ExceptionHandler = context => WriteAsync(context, StatusCodes.Status500InternalServerError),
        });
        app.UseStatusCodePages(context => WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode));
        return app;
    }

    private static int StatusFor(Exception ex) => ex switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        OperationCanceledException => 499,
        _ when Storage.StorageFaults.Classify(ex) is not null => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Seconds a client is asked to wait before retrying a write the store could not take.</summary>
    public const int StorageRetryAfterSeconds = 5;

    public static Task WriteAsync(HttpContext context, int status, ApiError? error = null)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = status;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(error ?? ApiError.ForStatus(status), options, contentType: "application/json; charset=utf-8");
    }

    private sealed class EnvelopeExceptionHandler(ILogger<EnvelopeExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            var status = StatusFor(exception);
            if (Storage.StorageFaults.Classify(exception) is { } fault)
            {
                // Disk full, read-only...: nothing was stored, the client should retry; not a bug of ours.
                logger.LogWarning("Storage unavailable for {Method} {Path}: {Fault}", httpContext.Request.Method, httpContext.Request.Path, fault);
                httpContext.RequestServices.GetRequiredService<Storage.StorageHealth>().ReportFailure(fault);
                httpContext.Response.Headers.RetryAfter = StorageRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteAsync(httpContext, status, new ApiError("storage_unavailable",
                    $"The event store cannot take writes right now ({Storage.StorageFaults.Describe(fault)}); nothing was stored. Retry after the time in Retry-After."));
                return true;
            }
            if (status >= 500)
                logger.LogError(exception, "Unhandled exception for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            var error = exception switch
            {
                BadHttpRequestException { StatusCode: 413 } => ApiError.ForStatus(413),
                BadHttpRequestException { StatusCode: 408 } => ApiError.ForStatus(408),
                BadHttpRequestException bad => new ApiError("bad_request", bad.Message),
                JsonException => new ApiError("invalid_json", "The request body is not valid JSON."),
                _ => ApiError.ForStatus(status),
            };
            await WriteAsync(httpContext, status, error);
            return true;
        }
    }
}
