using System.Net;
using System.Net.Http.Headers;
using Immutable.Tests.TestSupport;
using Immutable.Web.Workspaces;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Hardening;

/// <summary>
/// API keys are looked up once and kept (ApiKeyCache); every request still checks the store's revocation count, so a
/// revocation by anyone — this host, another process writing the same store — applies to the very next request.
/// </summary>
[Trait("Postgres", "run")]
public sealed class ApiKeyCacheTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<(CreatedKey Key, HttpClient Client)> KeyInUseAsync()
    {
        var key = await _app.CreateKeyAsync();
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/events")).StatusCode);
        return (key, client);
    }

    private async Task<int> ExecuteAsync(string sql, string prefix)
    {
        await using var store = _app.OpenStore();
        await using var command = store.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@prefix";
        parameter.Value = prefix;
        command.Parameters.Add(parameter);
        return await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task KeyRevokedInTheStoreByAnotherProcess_IsRefusedOnTheNextRequest()
    {
        var (key, client) = await KeyInUseAsync();
        var other = (await _app.CreateKeyAsync("acme", "other")).Key;

        // What the CLI does from another process: a plain update of the row, nobody told.
        Assert.Equal(1, await ExecuteAsync("UPDATE api_keys SET revoked_at = created_at WHERE prefix = @prefix", key.Prefix));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/events")).StatusCode);
        // Other keys are looked up again, and still accepted.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/events")).StatusCode);
    }

    [Fact]
    public async Task KeyRevokedThroughTheDirectory_IsRefusedOnTheNextRequest()
    {
        var (key, client) = await KeyInUseAsync();
        Assert.Equal(1, await _app.Services.GetRequiredService<WorkspaceDirectory>().RevokeAsync(key.Prefix));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/events")).StatusCode);
    }

    [Fact]
    public async Task KeyRowDeletedBehindTheAppsBack_IsForgottenOnceCacheSecondsPass()
    {
        // Rows are never deleted by the app (a revoked key stays, revoked); deleting one by hand does not raise the
        // revocation count, so only the cache's lifetime (ApiKeys:CacheSeconds, 60 s by default) bounds it.
        var (key, client) = await KeyInUseAsync();
        Assert.Equal(1, await ExecuteAsync("DELETE FROM api_keys WHERE prefix = @prefix", key.Prefix));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/events")).StatusCode);
        _app.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/events")).StatusCode);
    }
}
