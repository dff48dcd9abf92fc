using System.Diagnostics;
using System.Security.Cryptography;
using Immutable.Tests.TestSupport;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web.Integrity;

/// <summary>
/// A proof bundle checked with no server and no database: by <c>integrity verify-offline</c> (the app's binary) and by
/// the standalone Node script in docs/, which re-implements the encoding from the document alone.
/// </summary>
[Trait("Postgres", "run")]
public class OfflineVerificationTests : IDisposable
{
    // Checkpoints by time only once a day: the one checkpoint in the bundle is the one the test writes.
    private readonly ImmutableAppFactory _app = new ImmutableAppFactory().With("Integrity:AnchorPeriodMinutes", "60").With("Integrity:CheckpointMinutes", "1440");
    private readonly string _dir = Directory.CreateTempSubdirectory("immutable-bundle-").FullName;

    public void Dispose()
    {
        _app.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>Events with awkward content (big integers, nested metadata, non-ASCII, targets with metadata, geo), two anchors and a checkpoint.</summary>
    private async Task<(string Bundle, string Key)> BundleAsync()
    {
        var client = await _app.CreateWorkspaceClientAsync();
        for (var i = 1; i <= 9; i++)
        {
            var json = $$$"""
                {"actor_id":"u{{{i % 3}}}","actor_name":"Zoë {{{i}}}","action":"doc.e{{{i}}}","ip_address":"81.2.69.142","version":{{{i}}},
                 "resource":"document","resource_id":"d{{{i}}}","metadata":{"amount":12345678901234567890123,"ratio":0.1,"tiny":1e-7,"nested":{"b":[1,2.5,"x\ty"],"a":null},"emoji":"🔐"},
                 "targets":[{"type":"folder","id":"f{{{i}}}","metadata":{"z":1,"a":"é"}}]}
                """;
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/events", json)).StatusCode);
            if (i == 5) _app.Time.Advance(TimeSpan.FromHours(1));
        }
        _app.Time.Advance(TimeSpan.FromHours(1));
        string workspace;
        await using (var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync())
            workspace = await db.Workspaces.Where(w => w.Name == "acme").Select(w => w.Id).SingleAsync();
        Assert.Equal(2, (await _app.Services.GetRequiredService<AnchorWriter>().AnchorDueAsync(workspace, CancellationToken.None)).Count);
        await _app.CheckpointHeadAsync(workspace);

        var bundle = Path.Combine(_dir, "bundle.ndjson");
        await using (var file = File.Create(bundle))
            await _app.Services.GetRequiredService<ProofBundle>().WriteAsync(file, workspace, null, null, CancellationToken.None);
        var key = Path.Combine(_dir, "key.pem");
        await File.WriteAllTextAsync(key, _app.Services.GetRequiredService<SigningKeys>().CurrentPublicKeyPem);
        return (bundle, key);
    }

    private static async Task<(int Exit, string Output)> NodeAsync(params string[] args)
    {
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "docs", "verify-bundle.mjs"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    [Fact]
    public async Task IntactBundle_VerifiesOffline_InDotnetAndInTheNodeScript()
    {
        var (bundle, key) = await BundleAsync();
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(await File.ReadAllTextAsync(key));
        var result = OfflineVerifier.Verify(bundle, [publicKey]);
        Assert.True(result.Valid, string.Join("; ", result.Breaks));
        Assert.Equal((9, 1, 2, 0, 0), (result.EventsChecked, result.CheckpointsChecked, result.AnchorsChecked, result.StatementsSkipped, result.Gaps));

        var node = await NodeAsync(bundle, key);
        Assert.True(node.Exit == 0, node.Output);
        Assert.Contains("valid: 9 events, 3 signed statements", node.Output);

        var cli = await AppProcess.RunCliAsync(_dir, "integrity", "verify-offline", bundle, "--public-key", key);
        Assert.True(cli.ExitCode == 0, cli.Stdout + cli.Stderr);
        Assert.StartsWith("valid: 9 events, 1 checkpoints, 2 anchors", cli.Stdout);
    }

    [Fact]
    public async Task FlaggedEvents_VerifyOffline_AndUnflaggingOneFails_InDotnetAndInTheNodeScript()
    {
        // A permissive schema that matches only doc.e1: the other events are stored with schema_violation: true.
        var admin = await _app.CreateWorkspaceClientAsync();
        var schema = await admin.PutAsync("/api/v1/settings/event-schema",
            new StringContent("""{"mode":"permissive","patterns":["doc.e1"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, schema.StatusCode);
        var (bundle, key) = await BundleAsync();
        Assert.Contains(await File.ReadAllLinesAsync(bundle), l => l.Contains("\"schema_violation\":true", StringComparison.Ordinal));
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(await File.ReadAllTextAsync(key));
        var result = OfflineVerifier.Verify(bundle, [publicKey]);
        Assert.True(result.Valid, string.Join("; ", result.Breaks));
        var node = await NodeAsync(bundle, key);
        Assert.True(node.Exit == 0, node.Output);

        var lines = await File.ReadAllLinesAsync(bundle);
        var i = Array.FindIndex(lines, l => l.Contains("\"doc.e4\"", StringComparison.Ordinal));
        lines[i] = lines[i].Replace("\"schema_violation\":true", "\"schema_violation\":false", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(bundle, lines);
        Assert.Contains(OfflineVerifier.Verify(bundle, [publicKey]).Breaks, b => b.Type == Immutable.Domain.Chain.ChainBreakType.HashMismatch);
        Assert.NotEqual(0, (await NodeAsync(bundle, key)).Exit);
    }

    [Fact]
    public async Task EditedEvent_FailsOffline_InDotnetAndInTheNodeScript()
    {
        var (bundle, key) = await BundleAsync();
        var lines = await File.ReadAllLinesAsync(bundle);
        var i = Array.FindIndex(lines, l => l.Contains("\"doc.e4\"", StringComparison.Ordinal));
        lines[i] = lines[i].Replace("\"doc.e4\"", "\"doc.deleted\"", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(bundle, lines);

        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(await File.ReadAllTextAsync(key));
        var result = OfflineVerifier.Verify(bundle, [publicKey]);
        Assert.False(result.Valid);
        Assert.Contains(result.Breaks, b => b.Type == Immutable.Domain.Chain.ChainBreakType.HashMismatch && b.Sequence == 4);
        var node = await NodeAsync(bundle, key);
        Assert.Equal(1, node.Exit);
        Assert.Contains("hash_mismatch at sequence 4", node.Output);
        var cli = await AppProcess.RunCliAsync(_dir, "integrity", "verify-offline", bundle, "--public-key", key);
        Assert.Equal(3, cli.ExitCode);
    }

    [Fact]
    public async Task Bundle_CheckedWithSomeoneElsesKey_ReportsBadSignatures()
    {
        var (bundle, _) = await BundleAsync();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherPath = Path.Combine(_dir, "other.pem");
        await File.WriteAllTextAsync(otherPath, other.ExportSubjectPublicKeyInfoPem());
        var result = OfflineVerifier.Verify(bundle, [other]);
        Assert.Equal(3, result.Breaks.Count(b => b.Type == Immutable.Domain.Chain.ChainBreakType.BadSignature));
        var node = await NodeAsync(bundle, otherPath);
        Assert.Equal(1, node.Exit);
        Assert.Contains("bad_signature", node.Output);
    }

    [Fact]
    [Trait("SqliteOnly", "true")] // the command line child process is started on the data folder's SQLite file (AppProcess)
    public async Task Cli_PublicKey_PrintsTheServedKey_AndRotationKeepsOldSignaturesVerifiable()
    {
        var (bundle, key) = await BundleAsync();
        var printed = await AppProcess.RunCliAsync(_app.DataDirectory, "integrity", "public-key");
        Assert.Equal(0, printed.ExitCode);
        Assert.Equal((await File.ReadAllTextAsync(key)).Trim(), printed.Stdout.Trim());

        var verified = await AppProcess.RunCliAsync(_app.DataDirectory, "integrity", "verify", "--workspace", "acme");
        Assert.True(verified.ExitCode == 0, verified.Stdout + verified.Stderr);
        Assert.StartsWith("valid: 9 events, 1 checkpoints, 2 anchors checked", verified.Stdout);

        var rotated = await AppProcess.RunCliAsync(_app.DataDirectory, "integrity", "rotate-key");
        Assert.True(rotated.ExitCode == 0, rotated.Stderr);
        using var restarted = new ImmutableAppFactory(_app.DataDirectory);
        var client = await restarted.CreateWorkspaceClientAsync();
        var keys = (await client.GetJsonAsync(IntegrityApi.WellKnownKeysPath))["keys"]!.AsArray();
        Assert.Equal(2, keys.Count);
        Assert.NotEqual((await File.ReadAllTextAsync(key)).Trim(), keys.Single(k => k!["current"]!.GetValue<bool>())!["public_key_pem"]!.GetValue<string>().Trim());
        var v = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(v["valid"]!.GetValue<bool>(), v.ToJsonString()); // statements signed by the retired key still verify
        Assert.Equal(2, v["anchors_checked"]!.GetValue<int>());

        // The command line reports a break with its type and sequence, and exits non-zero.
        using (var db = restarted.OpenStore())
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "DELETE FROM events WHERE sequence = 9";
            cmd.ExecuteNonQuery();
        }
        var broken = await AppProcess.RunCliAsync(_app.DataDirectory, "integrity", "verify", "--workspace", "acme");
        Assert.Equal(3, broken.ExitCode);
        Assert.Contains("truncated at sequence 9", broken.Stdout);
        _ = bundle;
    }

    [Theory]
    [InlineData("drop-statements")]
    [InlineData("drop-event")]
    [InlineData("cut-short")]
    public async Task IncompleteBundle_FailsOffline_InDotnetAndInTheNodeScript(string damage)
    {
        var (bundle, key) = await BundleAsync();
        var lines = (await File.ReadAllLinesAsync(bundle)).ToList();
        switch (damage)
        {
            case "drop-statements": lines.RemoveAll(l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal) || l.Contains("\"kind\":\"anchor\"", StringComparison.Ordinal)); break;
            case "drop-event": lines.RemoveAt(lines.FindIndex(l => l.Contains("\"doc.e5\"", StringComparison.Ordinal))); break;
            default: lines = lines.Take(lines.FindIndex(l => l.Contains("\"kind\":\"checkpoint\"", StringComparison.Ordinal))).ToList(); break;
        }
        await File.WriteAllLinesAsync(bundle, lines);
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(await File.ReadAllTextAsync(key));
        Assert.False(OfflineVerifier.Verify(bundle, [publicKey]).Valid);
        var node = await NodeAsync(bundle, key);
        Assert.True(node.Exit == 1, node.Output);
    }
}
