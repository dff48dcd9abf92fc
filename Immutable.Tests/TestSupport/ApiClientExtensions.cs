using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Immutable.Tests.TestSupport;

/// <summary>Plain HttpClient calls shaped like the official SDKs' (snake_case JSON, Bearer auth).</summary>
public static class ApiClientExtensions
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsync(url, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("null JSON body");
    }

    public static async Task<string> IngestAsync(this HttpClient client, object evt)
    {
        var response = await client.PostJsonAsync("/api/v1/events", evt);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"ingest failed: {(int)response.StatusCode} {body.ToJsonString()}");
        return body["id"]!.GetValue<string>();
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.GetAsync(url);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == expected, $"GET {url}: {(int)response.StatusCode} {body.ToJsonString()}");
        return body;
    }
}
