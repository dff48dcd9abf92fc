using Immutable.Web.Accounts;
using Immutable.Domain;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;

namespace Immutable.Web.Workspaces;

/// <summary>
/// The admin command line on the app's own binary, for the first workspace and for scripts/CI:
/// <c>keys create --workspace NAME --label LABEL</c>, <c>keys list [--workspace NAME]</c>, <c>keys revoke PREFIX</c>.
/// It reads the same configuration as the server and migrates first, so it works on an empty data folder.
/// </summary>
public static class KeysCommand
{
    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] is "keys" or "members";

    public static async Task<int> RunAsync(string[] args)
    {
        // Configuration from appsettings.json beside the binary and the environment, as for the server.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.AddDomainEvents(); // revocations are published (the servers' live connections also learn it from the store)
        builder.AddStorage();
        builder.Services.AddSingleton<WorkspaceDirectory>();
        using var host = builder.Build();
        if (!await host.Services.TryMigrateDatabaseAsync()) return 1;
        var directory = host.Services.GetRequiredService<WorkspaceDirectory>();
        var verb = args.Length > 1 ? args[1] : "";
        var options = ParseOptions(args.Skip(2).ToArray());
        if (args[0] == "members") return await MembersAsync(host.Services, directory, verb, options);

        switch (verb)
        {
            case "create":
                if (!options.TryGetValue("workspace", out var workspace) || string.IsNullOrWhiteSpace(workspace))
                    return Usage("keys create needs --workspace <name>.");
                var created = await directory.CreateKeyAsync(workspace.Trim(), options.GetValueOrDefault("label") ?? "default");
                await Console.Error.WriteLineAsync($"Created key {created.Prefix}… \"{created.Label}\" for workspace {created.WorkspaceName} ({created.WorkspaceId}). It is shown once; store it now:");
                Console.WriteLine(created.Key);
                return 0;
            case "list":
                var keys = await directory.ListKeysAsync(options.GetValueOrDefault("workspace"));
                Console.WriteLine($"{"PREFIX",-14}{"WORKSPACE",-24}{"LABEL",-24}{"CREATED",-29}STATUS");
                foreach (var k in keys)
                    Console.WriteLine($"{k.Prefix,-14}{k.WorkspaceName,-24}{k.Label,-24}{Timestamps.ToIso(k.CreatedAt),-29}{(k.RevokedAt is null ? "active" : "revoked " + Timestamps.ToIso(k.RevokedAt.Value))}");
                return 0;
            case "revoke":
                var prefix = args.Length > 2 ? args[2] : "";
                if (prefix.Length == 0) return Usage("keys revoke needs the key's prefix (see keys list).");
                var revoked = await directory.RevokeAsync(prefix);
                Console.WriteLine(revoked == 0 ? $"No active key with prefix {prefix}." : $"Revoked {revoked} key(s) with prefix {prefix}.");
                return revoked == 0 ? 1 : 0;
            default:
                return Usage($"Unknown keys command '{verb}'.");
        }
    }

    /// <summary>
    /// <c>members add --workspace NAME --email E --role owner|admin|analyst [--name N]</c> and <c>members list</c>:
    /// the people who receive alert email (owners, admins) until the dashboard manages members.
    /// </summary>
    private static async Task<int> MembersAsync(IServiceProvider services, WorkspaceDirectory directory, string verb, Dictionary<string, string> options)
    {
        var factory = services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ImmutableDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        switch (verb)
        {
            case "add":
                if (!options.TryGetValue("workspace", out var workspace) || !options.TryGetValue("email", out var email) || !email.Contains('@', StringComparison.Ordinal))
                    return Usage("members add needs --workspace <name> and --email <address>.");
                var role = options.GetValueOrDefault("role") ?? "admin";
                if (!WireName.TryParse<Role>(role, out _)) return Usage("--role must be owner, admin or analyst.");
                var ws = await directory.GetOrCreateWorkspaceAsync(workspace.Trim());
                var existing = await db.WorkspaceMembers.FindAsync(ws.Id, email.Trim().ToLowerInvariant());
                if (existing is null)
                {
                    db.WorkspaceMembers.Add(new WorkspaceMemberRecord
                    {
                        WorkspaceId = ws.Id, Email = email.Trim().ToLowerInvariant(), Name = options.GetValueOrDefault("name"), Role = WireName.Parse<Role>(role),
                        CreatedAt = Timestamps.ToMicroseconds(services.GetRequiredService<TimeProvider>().GetUtcNow()),
                    });
                }
                else
                {
                    existing.Role = WireName.Parse<Role>(role);
                    existing.Name = options.GetValueOrDefault("name") ?? existing.Name;
                }
                await db.SaveChangesAsync();
                Console.WriteLine($"{email.Trim().ToLowerInvariant()} is {role} of workspace {ws.Name}.");
                return 0;
            case "list":
                var query = from m in db.WorkspaceMembers join w in db.Workspaces on m.WorkspaceId equals w.Id select new { w.Name, m.Email, m.Role };
                foreach (var m in await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(query.OrderBy(x => x.Name).ThenBy(x => x.Email)))
                    Console.WriteLine($"{m.Name,-24}{m.Email,-40}{WireName.Of(m.Role)}");
                return 0;
            default:
                return Usage($"Unknown members command '{verb}'.");
        }
    }

    internal static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            var name = args[i][2..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) options[name[..eq]] = name[(eq + 1)..];
            else if (i + 1 < args.Length) options[name] = args[++i];
        }
        return options;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine("""
            Usage:
              Immutable.Web keys create --workspace <name> [--label <label>]
              Immutable.Web keys list [--workspace <name>]
              Immutable.Web keys revoke <prefix>
              Immutable.Web members add --workspace <name> --email <address> [--role owner|admin|analyst] [--name <name>]
              Immutable.Web members list
            Configuration (ConnectionStrings__Default, ...) is read as for the server.
            """);
        return 2;
    }
}
