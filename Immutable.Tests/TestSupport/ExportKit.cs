using System.Net;
using System.Text.Json.Nodes;

namespace Immutable.Tests.TestSupport;

/// <summary>Exports over the real API: create, wait for the background worker, download through the signed link.</summary>
public static class ExportKit
{
    public static async Task<JsonNode> CreateExportAsync(this HttpClient client, object body)
    {
        var response = await client.PostJsonAsync("/api/v1/exports", body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /exports: {(int)response.StatusCode} {json.ToJsonString()}");
        return json;
    }

    /// <summary>Polls GET /exports/{id} until the export is completed or failed (the worker runs in the background).</summary>
    public static async Task<JsonNode> WaitForExportAsync(this HttpClient client, string id)
    {
        for (var i = 0; i < 600; i++)
        {
            var data = (await client.GetJsonAsync($"/api/v1/exports/{id}"))["data"]!;
            var status = data["status"]!.GetValue<string>();
            if (status is "completed" or "failed") return data;
            await Task.Delay(50);
        }
        throw new TimeoutException($"export {id} did not finish");
    }

    /// <summary>GETs the signed download_url with no API key at all.</summary>
    public static async Task<HttpResponseMessage> DownloadAnonymouslyAsync(HttpClient anonymous, JsonNode export)
    {
        var url = new Uri(export["download_url"]!.GetValue<string>());
        return await anonymous.GetAsync(url.PathAndQuery);
    }
}
