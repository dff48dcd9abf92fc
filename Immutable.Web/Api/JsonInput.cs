using System.Text.Json;
using System.Text.Json.Nodes;

namespace Immutable.Web.Api;

/// <summary>
/// A definition handed to an application service: a request body read only when the service asks for it (so a
/// missing resource answers 404 before a malformed body answers 400, as the API always has), or a document the
/// dashboard built. Reading applies <see cref="JsonBody"/>'s checks: media type, size, duplicate keys, unreadable text.
/// </summary>
public sealed class JsonInput : IDisposable
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };
    private readonly HttpRequest? _request;
    private readonly int _maxBytes;
    private JsonDocument? _document;

    private JsonInput(HttpRequest? request, int maxBytes, JsonDocument? document) => (_request, _maxBytes, _document) = (request, maxBytes, document);

    public static JsonInput FromRequest(HttpRequest request, int maxBytes) => new(request, maxBytes, null);

    public static JsonInput Of(JsonNode document) => new(null, 0, JsonDocument.Parse(document.ToJsonString()));

    /// <summary>The root element, or the problem that kept the body from being read as JSON.</summary>
    public async Task<(JsonElement Root, Problem? Problem)> ReadAsync(CancellationToken ct)
    {
        if (_document is not null) return (_document.RootElement, null);
        var body = await JsonBody.ReadAsync(_request!, _maxBytes, Strict, ct);
        if (body.Error is { } error) return (default, new Problem(error.StatusCode ?? StatusCodes.Status400BadRequest, error.Value!));
        _document = body.Document;
        return (_document!.RootElement, null);
    }

    public void Dispose() => _document?.Dispose();
}
