using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.Extensions.Options;

namespace Immutable.Web.Auth;

public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>
    /// How long a resolved key is kept in memory (0: not at all, every request looks the key up). Revocation does not
    /// wait for it: every request checks the store's revocation count first (<see cref="KeyRevocations"/>).
    /// </summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 60;
}

/// <summary>
/// The API keys requests present, looked up once instead of on every request (the lookup was a tenth of the app's CPU
/// per ingested event).
/// Invariant: a cached answer is used only while the store's revocation count is the one read before that answer was
/// looked up, so a key revoked by any process — another instance, the CLI on the same SQLite file — is refused from the
/// next request on. Unknown and revoked keys are never cached, so guessing costs a lookup each time and fills nothing.
/// </summary>
public sealed class ApiKeyCache(WorkspaceDirectory directory, KeyRevocations revocations, TimeProvider time, IOptions<ApiKeyOptions> options)
{
    private const int MaxEntries = 10_000;

    private sealed record Entry(ResolvedKey Key, long Until, long Revocations);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<ResolvedKey?> ResolveAsync(string presentedKey, CancellationToken ct)
    {
        var seconds = options.Value.CacheSeconds;
        if (seconds == 0 || !ApiKeyFormat.LooksValid(presentedKey)) return await directory.ResolveWorkspaceAsync(presentedKey, ct);
        var hash = ApiKeyFormat.Hash(presentedKey); // held instead of the key: no key in clear stays in memory
        // Read before the lookup: a revocation after this read raises the count, and the answer below is not used again.
        var revoked = await revocations.CountAsync(ct);
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(hash, out var hit) && hit.Revocations == revoked && now < hit.Until) return hit.Key;

        var resolved = await directory.ResolveWorkspaceAsync(presentedKey, ct);
        if (resolved is null)
        {
            _entries.TryRemove(hash, out _);
            return null;
        }
        if (_entries.Count >= MaxEntries) _entries.Clear(); // a bound, not a policy: 10 000 keys in use is far past any deployment
        _entries[hash] = new Entry(resolved, now + seconds * time.TimestampFrequency, revoked);
        return resolved;
    }
}
