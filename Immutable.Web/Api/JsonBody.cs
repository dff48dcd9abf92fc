using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Immutable.Web.Api;

/// <summary>A request body read as a JSON document, or the error response explaining why it could not be.</summary>
public sealed class JsonBody : IDisposable
{
    private JsonBody(JsonDocument? document, JsonHttpResult<ApiError>? error)
    {
        Document = document;
        Error = error;
    }

    public JsonDocument? Document { get; }
    public JsonHttpResult<ApiError>? Error { get; }

    /// <summary>
    /// 415 when the content type is not JSON, 413 over <paramref name="maxBytes"/>, 400 invalid_json for an
    /// empty or malformed body (duplicate keys included: they make a signed record ambiguous), 422 naming the path of
    /// any string or number .NET cannot read back unchanged (<see cref="JsonInputCheck"/>).
    /// </summary>
    public static async Task<JsonBody> ReadAsync(HttpRequest request, int maxBytes, JsonDocumentOptions options, CancellationToken ct)
    {
        if (!IsJson(request.ContentType))
            return Fail(415, ApiError.ForStatus(415));
        if (request.ContentLength > maxBytes)
            return Fail(413, new ApiError("payload_too_large", $"The request body must be at most {maxBytes} bytes."));

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return Fail(413, new ApiError("payload_too_large", $"The request body must be at most {maxBytes} bytes."));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            return Fail(400, new ApiError("invalid_json", "The request body is empty; send a JSON object."));
        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, options);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            var detail = ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "it repeats a property name" : "it is not valid JSON";
            return Fail(400, new ApiError("invalid_json", $"The request body could not be parsed: {detail}{where}."));
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check decodes property names while parsing, and a name with a lone surrogate fails
            // there. Parse again without that check, only to name the object that holds the name.
            return NameUnreadable(json, options);
        }
        var unreadable = JsonInputCheck.Check(document.RootElement);
        if (unreadable.Count == 0) return new JsonBody(document, null);
        document.Dispose();
        return Fail(422, ApiError.Validation(unreadable));
    }

    private static JsonBody NameUnreadable(ReadOnlyMemory<byte> json, JsonDocumentOptions options)
    {
        try
        {
            using var lenient = JsonDocument.Parse(json, options with { AllowDuplicateProperties = true });
            var unreadable = JsonInputCheck.Check(lenient.RootElement);
            if (unreadable.Count > 0) return Fail(422, ApiError.Validation(unreadable));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not expected (the strict parse got this far); the generic answer below still holds.
        }
        return Fail(400, new ApiError("invalid_json", "The request body could not be parsed: a property name is not valid Unicode text."));
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static JsonBody Fail(int status, ApiError error) => new(null, TypedResults.Json(error, statusCode: status));

    public void Dispose() => Document?.Dispose();
}
