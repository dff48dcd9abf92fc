using Microsoft.AspNetCore.Http.HttpResults;

namespace Immutable.Web.Api;

/// <summary>Typed results for the error envelope, so endpoint signatures document their failures.</summary>
public static class ApiResults
{
    public static UnprocessableEntity<ApiError> Invalid(IReadOnlyList<Violation> violations) =>
        TypedResults.UnprocessableEntity(ApiError.Validation(violations));

    public static UnprocessableEntity<ApiError> Invalid(string field, string message) =>
        Invalid([new Violation(field, message)]);

    public static NotFound<ApiError> NotFound(string what) => TypedResults.NotFound(ApiError.NotFound(what));

    public static JsonHttpResult<ApiError> Status(int status, ApiError error) =>
        TypedResults.Json(error, statusCode: status);
}
