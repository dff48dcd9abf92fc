using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Immutable.Web.Accounts;
using Immutable.Web.Auth;
using Microsoft.AspNetCore.Http.Features;

namespace Immutable.Web.Components.Shared;

/// <summary>An API handler's answer: status and JSON body; violations mapped by field for forms.</summary>
public sealed record GatewayResult(int Status, JsonNode? Body)
{
    public bool Succeeded => Status is >= 200 and < 300;
    public JsonNode? Data => Body?["data"];
    public string? Message => Body?["message"]?.GetValue<string>();

    public IReadOnlyDictionary<string, string> Violations => ViolationMap.ByField(
        (Body?["violations"] as JsonArray ?? []).Select(v => new Api.Violation(v?["field"]?.GetValue<string>() ?? "", v?["message"]?.GetValue<string>() ?? "")));
}

/// <summary>
/// The dashboard changes state through the same handlers as the HTTP API, in process: one validation, one audit
/// record, one live notification path for both. The caller is the signed-in member (workspace from their session,
/// audit actor "user:email"), never anything a page passes in.
/// </summary>
public sealed class WorkspaceGateway(IServiceScopeFactory scopes)
{
    public async Task<GatewayResult> InvokeAsync(DashboardUser user, Func<HttpContext, Task<IResult>> handler, string query = "",
        JsonNode? body = null, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = ct };
        http.User = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ApiKeyAuthenticationHandler.WorkspaceClaim, user.WorkspaceId),
            new Claim(DashboardUser.EmailClaim, user.Email),
            new Claim(ClaimTypes.Name, user.Name),
        ], AccountsExtensions.CookieScheme));
        http.Request.Method = body is null ? "GET" : "POST";
        http.Request.QueryString = new QueryString(query.Length == 0 || query.StartsWith('?') ? query : "?" + query);
        http.Request.Query = new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(http.Request.QueryString.Value));
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            http.Request.Body = new MemoryStream(bytes);
            http.Request.ContentType = "application/json";
            http.Request.ContentLength = bytes.Length;
        }
        var response = new MemoryStream();
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(response));
        var result = await handler(http);
        await result.ExecuteAsync(http);
        var text = Encoding.UTF8.GetString(response.ToArray());
        return new GatewayResult(http.Response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
