using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Immutable.Web.Storage;

/// <summary>
/// The one owner of ASP.NET Core Data Protection (sign-in cookies, antiforgery tokens, signed export links): its key
/// ring lives in the store, table <c>data_protection_keys</c>, on both providers. Every instance over one database
/// protects and unprotects with the same keys, so a cookie issued by one instance is valid on another, and sessions
/// survive a restart. Keys are created and rotated by Data Protection itself (90 days, the next one 2 days ahead).
/// </summary>
public static class DataProtectionKeyRing
{
    public const string ApplicationName = "Immutable";

    public static IServiceCollection AddDataProtectionKeyRing(this IServiceCollection services)
    {
        // The key repository asks DI for a scoped context: lend it one from the pooled factory (disposed with the scope).
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContext());
        services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToDbContext<ImmutableDbContext>();
        return services;
    }

    /// <summary>
    /// Makes sure the ring holds a key. Called on PostgreSQL under the migration lock, so instances starting together
    /// on an empty database agree on one key (the first creates it, the others find it) instead of each making its
    /// own and refusing the others' cookies until their rings refresh.
    /// </summary>
    public static void EnsureKey(IServiceProvider services)
    {
        if (services.GetService<IDataProtectionProvider>() is { } provider)
            provider.CreateProtector("Immutable.KeyRing.Start").Protect([0]);
    }
}
