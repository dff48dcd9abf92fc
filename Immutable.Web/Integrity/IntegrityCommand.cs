using System.Security.Cryptography;
using Immutable.Domain.Chain;
using Immutable.Web.DomainEvents;
using Immutable.Web.Storage;
using Immutable.Web.Workspaces;
using Microsoft.EntityFrameworkCore;

namespace Immutable.Web.Integrity;

/// <summary>
/// <c>integrity …</c> on the app's own binary (same configuration as the server):
/// <c>public-key</c>, <c>rotate-key</c>, <c>checkpoint --workspace NAME</c>, <c>anchor --workspace NAME</c>, <c>verify --workspace NAME</c>,
/// <c>bundle --workspace NAME --out FILE</c>, and <c>verify-offline FILE [--public-key PEM]</c>, which needs neither
/// server nor database.
/// </summary>
public static class IntegrityCommand
{
    public static bool IsInvocation(string[] args) => args.Length > 0 && args[0] == "integrity";

    public static async Task<int> RunAsync(string[] args)
    {
        var verb = args.Length > 1 ? args[1] : "";
        var options = KeysCommand.ParseOptions(args.Skip(2).ToArray());
        if (verb == "verify-offline") return VerifyOffline(args.Skip(2).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && a != options.GetValueOrDefault("public-key")), options);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.AddDomainEvents();
        builder.AddStorage();
        builder.Services.AddOptions<IntegrityOptions>().BindConfiguration(IntegrityOptions.Section).ValidateDataAnnotations();
        builder.Services.AddSingleton<IntegrityPaths>();
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<WitnessFiles>();
        builder.Services.AddSingleton<ChainAudit>();
        builder.Services.AddSingleton<CheckpointWriter>();
        builder.Services.AddSingleton<AnchorWriter>(); // no witnesses here: the server hands these anchors to its witnesses at its next sweep
        builder.Services.AddSingleton<ProofBundle>();
        builder.Services.AddSingleton<WorkspaceDirectory>();
        using var host = builder.Build();
        var services = host.Services;
        if (verb == "rotate-key")
        {
            var path = services.GetRequiredService<IntegrityPaths>().SigningKeyPath;
            var (oldId, newId) = SigningKeys.Rotate(path);
            Console.WriteLine($"Rotated the signing key {path}: {oldId} → {newId}. The old public key stays trusted for verification (retired/{oldId}.pub.pem). Restart the server to sign with the new key.");
            return 0;
        }
        if (verb == "public-key")
        {
            var keys = services.GetRequiredService<SigningKeys>();
            await Console.Error.WriteLineAsync($"Key id {keys.KeyId} (ES256, ECDSA P-256); also served at {IntegrityApi.WellKnownKeysPath}.");
            Console.Write(keys.CurrentPublicKeyPem);
            Console.WriteLine();
            return 0;
        }
        if (!await services.TryMigrateDatabaseAsync()) return 1;
        if (!options.TryGetValue("workspace", out var name) || string.IsNullOrWhiteSpace(name)) return Usage($"integrity {verb} needs --workspace <name>.");
        var factory = services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>();
        string? workspaceId;
        await using (var db = await factory.CreateDbContextAsync())
            workspaceId = await db.Workspaces.Where(w => w.Name == name.Trim() || w.Id == name.Trim()).Select(w => w.Id).FirstOrDefaultAsync();
        if (workspaceId is null)
        {
            await Console.Error.WriteLineAsync($"No workspace named {name}.");
            return 1;
        }
        switch (verb)
        {
            case "checkpoint":
                var c = await services.GetRequiredService<CheckpointWriter>().WriteIfDueAsync(workspaceId, force: true, CancellationToken.None);
                Console.WriteLine(c is null ? "No new events since the last checkpoint (or the chain does not verify: see the log)." : $"Checkpoint at sequence {c.Sequence}, head {c.HeadHash}, root {c.MerkleRoot}, key {c.KeyId}.");
                return 0;
            case "anchor":
                var anchors = await services.GetRequiredService<AnchorWriter>().AnchorDueAsync(workspaceId, CancellationToken.None);
                Console.WriteLine(anchors.Count == 0 ? "No completed period to anchor." : $"Wrote {anchors.Count} anchor(s), up to sequence {anchors[^1].LastSequence}.");
                return 0;
            case "verify":
                var result = (await services.GetRequiredService<ChainAudit>().VerifyAsync(workspaceId, null, null, int.MaxValue, CancellationToken.None, ranBy: "cli"))!;
                Console.WriteLine(result.Valid
                    ? $"valid: {result.EventsChecked} events, {result.CheckpointsChecked} checkpoints, {result.AnchorsChecked} anchors checked; latest signed checkpoint at sequence {result.LatestCheckpoint?.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}."
                    : $"INVALID: {result.BreaksTotal} break(s) in {result.EventsChecked} events.");
                foreach (var b in result.Breaks.Take(50))
                    Console.WriteLine($"  {Immutable.Domain.WireName.Of(b.Type)} at sequence {b.Sequence}: expected {b.ExpectedHash ?? "-"}, actual {b.ActualHash ?? "-"}{(b.Detail is null ? "" : " — " + b.Detail)}");
                return result.Valid ? 0 : 3;
            case "bundle":
                if (!options.TryGetValue("out", out var outPath)) return Usage("integrity bundle needs --out <file>.");
                await using (var file = File.Create(outPath))
                    await services.GetRequiredService<ProofBundle>().WriteAsync(file, workspaceId, null, null, CancellationToken.None);
                Console.WriteLine($"Wrote {outPath}. Check it anywhere with: integrity verify-offline {outPath} --public-key <key.pem>");
                return 0;
            default:
                return Usage($"Unknown integrity command '{verb}'.");
        }
    }

    private static int VerifyOffline(string? path, Dictionary<string, string> options)
    {
        if (path is null || !File.Exists(path)) return Usage("integrity verify-offline needs the path of a bundle or NDJSON export.");
        List<ECDsa>? trusted = null;
        if (options.TryGetValue("public-key", out var pem))
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(pem));
            trusted = [key];
        }
        OfflineResult result;
        try
        {
            result = OfflineVerifier.Verify(path, trusted);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"{path} is not a readable bundle: {ex.Message}");
            return 2;
        }
        if (result.KeysFromFile) Console.Error.WriteLine("warning: no --public-key given; trusting the keys inside the file. Get the key from /.well-known/immutable/signing-keys.json or your operator to be sure.");
        Console.WriteLine($"{(result.Valid ? "valid" : "INVALID")}: {result.EventsChecked} events, {result.CheckpointsChecked} checkpoints, {result.AnchorsChecked} anchors " +
            $"({result.StatementsSkipped} statements not wholly in the file, {result.Gaps} gaps) for workspace {result.WorkspaceId ?? "?"}; " +
            $"{result.Unsigned} newest event(s) not yet under a signed statement.");
        foreach (var b in result.Breaks.Take(50))
            Console.WriteLine($"  {Immutable.Domain.WireName.Of(b.Type)} at sequence {b.Sequence}: expected {b.ExpectedHash ?? "-"}, actual {b.ActualHash ?? "-"}{(b.Detail is null ? "" : " — " + b.Detail)}");
        return result.Valid ? 0 : 3;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine("""
            Usage:
              Immutable.Web integrity public-key                          print the public key that verifies checkpoints and anchors
              Immutable.Web integrity rotate-key                          new signing key; the old one stays trusted for verification
              Immutable.Web integrity checkpoint --workspace <name>       sign a checkpoint of the chain's head now
              Immutable.Web integrity anchor --workspace <name>           write the anchors of every completed period now
              Immutable.Web integrity verify --workspace <name>           verify the whole chain against checkpoints and anchors
              Immutable.Web integrity bundle --workspace <name> --out F   write a proof bundle (events, checkpoints, anchors, keys)
              Immutable.Web integrity verify-offline F [--public-key K]   check a bundle or NDJSON export with no server or database
            """);
        return 2;
    }
}
