using System.Globalization;
using System.Text.Json;
using Immutable.Domain.Chain;

namespace Immutable.Web.Api;

/// <summary>Small typed readers for query strings and bodies that record a violation instead of throwing.</summary>
public static class RequestValues
{
    /// <summary>An ISO 8601 timestamp (any offset, normalised to UTC microseconds); null when absent.</summary>
    public static DateTime? Time(string? text, string field, List<Violation> violations)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return Timestamps.ToMicroseconds(value);
        violations.Add(new Violation(field, "must be an ISO 8601 timestamp"));
        return null;
    }

    public static DateTime? Time(JsonElement obj, string field, List<Violation> violations)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return Time(v.GetString(), field, violations);
        violations.Add(new Violation(field, "must be an ISO 8601 timestamp"));
        return null;
    }

    public static string? Text(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } s ? s : null;

    /// <summary>
    /// The optional <c>{"note"}</c> of an acknowledgement. An empty body is no note; anything else must be a JSON
    /// object whose note is a string of at most 2000 characters.
    /// </summary>
    public static async Task<(string? Note, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError>? Error)> AcknowledgementNoteAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is null or 0 && request.ContentType is null) return (null, null);
        using var body = await JsonBody.ReadAsync(request, 16 * 1024, new JsonDocumentOptions { AllowDuplicateProperties = false }, ct);
        if (body.Error is { } error) return request.ContentLength is null or 0 && error.StatusCode == 400 ? (null, null) : (null, error);
        var root = body.Document!.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return (null, Invalid("body", "must be a JSON object"));
        if (!root.TryGetProperty("note", out var n) || n.ValueKind == JsonValueKind.Null) return (null, null);
        if (n.ValueKind != JsonValueKind.String || n.GetString()!.Length > 2000) return (null, Invalid("note", "must be a string of at most 2000 characters"));
        return (n.GetString(), null);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError> Invalid(string field, string message) =>
        TypedResults.Json(ApiError.Validation([new Violation(field, message)]), statusCode: StatusCodes.Status422UnprocessableEntity);
}
