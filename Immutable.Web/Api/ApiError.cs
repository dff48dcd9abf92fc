using System.Text.Json.Serialization;

namespace Immutable.Web.Api;

public sealed record Violation(string Field, string Message);

/// <summary>The one error body of the API: every 4xx/5xx carries it, so client libraries can always parse JSON.</summary>
public sealed record ApiError(
    string Error,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Violation>? Violations = null)
{
    public static ApiError Validation(IReadOnlyList<Violation> violations) =>
        new("validation_failed", violations.Count == 1
            ? $"{violations[0].Field}: {violations[0].Message}"
            : $"The request has {violations.Count} invalid fields.", violations);

    public static ApiError NotFound(string what) => new("not_found", $"{what} was not found.");

    /// <summary>The envelope for a status code that has no more specific error (404 route, 405, 500...).</summary>
    public static ApiError ForStatus(int status) => status switch
    {
        400 => new("bad_request", "The request is malformed."),
        401 => Unauthenticated,
        403 => new("forbidden", "This key may not do that."),
        404 => new("not_found", "No such endpoint or resource."),
        405 => new("method_not_allowed", "This endpoint does not accept that HTTP method."),
        406 => new("not_acceptable", "This endpoint only produces application/json."),
        408 => new("request_timeout", "The request body did not arrive in time."),
        409 => new("conflict", "The request conflicts with the current state."),
        413 => new("payload_too_large", "The request body is too large."),
        415 => new("unsupported_media_type", "Send the body as application/json."),
        422 => new("validation_failed", "The request is invalid."),
        429 => new("rate_limited", "Too many requests; retry after the time in Retry-After."),
        503 => new("unavailable", "The service is not ready; retry shortly."),
        >= 500 => new("internal_error", "Something went wrong on our side. It has been logged."),
        _ => new("error", $"The request failed with status {status}."),
    };

    public static ApiError Unauthenticated { get; } = new("unauthenticated", "Invalid or missing API key.");
}

/// <summary>Single resources are wrapped as <c>{"data": ...}</c>.</summary>
public sealed record DataEnvelope<T>(T Data);

/// <param name="TotalExact">
/// Set by lists whose total is counted only up to a cap (events: <see cref="Paging.ExactTotalUpTo"/>): false means
/// <paramref name="Total"/> is that cap and at least that many match. Omitted by lists that always count exactly.
/// </param>
public sealed record Pagination(bool HasMore, string? NextCursor, int Total,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? TotalExact = null);

public sealed record ListEnvelope<T>(IReadOnlyList<T> Data, Pagination Pagination);
