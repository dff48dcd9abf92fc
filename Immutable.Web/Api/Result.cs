using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Api;

/// <summary>
/// An expected failure of an application service: the HTTP status it maps to and the API's error envelope. The API
/// writes it as is; the dashboard shows <see cref="ApiError.Message"/> or the violations by field.
/// </summary>
public sealed record Problem(int Status, ApiError Error)
{
    public static Problem NotFound(string what) => new(StatusCodes.Status404NotFound, ApiError.NotFound(what));

    public static Problem Invalid(IReadOnlyList<Violation> violations) => new(StatusCodes.Status422UnprocessableEntity, ApiError.Validation(violations));

    public static Problem Invalid(string field, string message) => Invalid([new Violation(field, message)]);

    public static Problem Conflict(ApiError error) => new(StatusCodes.Status409Conflict, error);

    /// <summary>Analysts triage; configuration changes need admin or owner, member changes need owner.</summary>
    public static Problem Forbidden { get; } = new(StatusCodes.Status403Forbidden,
        new ApiError("forbidden", "Your role does not allow this change; ask an admin or owner."));

    /// <summary>Someone else changed the record between our read and our write (optimistic concurrency).</summary>
    public static Problem Changed(string what) => Conflict(new ApiError("conflict", $"{what} was changed by another request at the same time; read it again and retry."));

    /// <summary>The envelope as the HTTP API writes it (the same bytes as <c>TypedResults.NotFound(error)</c> and friends).</summary>
    public JsonHttpResult<ApiError> ToHttp() => TypedResults.Json(Error, statusCode: Status);
}

/// <summary>What an application service returns: a value, or the <see cref="Problem"/> that prevented it.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Problem? problem) => (Value, Problem) = (value, problem);

    public T? Value { get; }
    public Problem? Problem { get; }
    public bool Succeeded => Problem is null;

    public static implicit operator Result<T>(T value) => new(value, null);
    public static implicit operator Result<T>(Problem problem) => new(default, problem);

    public Result<TOut> Map<TOut>(Func<T, TOut> map) => Problem is { } p ? p : map(Value!);
}

/// <summary>A service call that changes something and has nothing to return.</summary>
public readonly record struct Done;
