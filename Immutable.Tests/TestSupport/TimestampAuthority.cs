using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Immutable.Tests.TestSupport;

/// <summary>
/// A real RFC 3161 timestamp authority on 127.0.0.1: <c>openssl ts -reply</c> behind a small HTTP listener, with a
/// self-signed certificate whose extended key usage is timeStamping (critical), made in a temp folder.
/// </summary>
public sealed class TimestampAuthority : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private TimestampAuthority(WebApplication app, string dir)
    {
        _app = app;
        _dir = dir;
    }

    public string Url { get; private set; } = "";
    public string CertificatePath => Path.Combine(_dir, "tsa.crt");
    private int _requests;
    public int Requests => Volatile.Read(ref _requests);
    public bool Down { get; set; }

    public static async Task<TimestampAuthority> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("immutable-tsa-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "tsa.cnf"), $"""
            [ req ]
            distinguished_name = dn
            prompt = no
            x509_extensions = tsa_ext
            [ dn ]
            CN = Immutable Test TSA
            [ tsa_ext ]
            basicConstraints = critical,CA:false
            keyUsage = critical,digitalSignature
            extendedKeyUsage = critical,timeStamping
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            dir = {dir}
            serial = $dir/serial
            crypto_device = builtin
            signer_cert = $dir/tsa.crt
            signer_key = $dir/tsa.key
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.99999.1
            digests = sha256
            accuracy = secs:1
            ordering = no
            tsa_name = no
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "serial"), "01\n");
        await RunAsync(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key", "-out", "tsa.crt",
            "-days", "3650", "-config", "tsa.cnf");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var tsa = new TimestampAuthority(app, dir);
        app.MapPost("/tsa", async (HttpContext http) =>
        {
            Interlocked.Increment(ref tsa._requests);
            if (tsa.Down) return Results.StatusCode(503);
            var id = Guid.NewGuid().ToString("N");
            var query = Path.Combine(dir, id + ".tsq");
            var reply = Path.Combine(dir, id + ".tsr");
            await using (var file = File.Create(query)) await http.Request.Body.CopyToAsync(file);
            await RunAsync(dir, "ts", "-reply", "-config", "tsa.cnf", "-queryfile", query, "-out", reply);
            return Results.Bytes(await File.ReadAllBytesAsync(reply), "application/timestamp-reply");
        });
        await app.StartAsync();
        tsa.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/tsa";
        return tsa;
    }

    /// <summary>Runs openssl in the TSA's folder; returns stdout+stderr, throws when it fails.</summary>
    public static async Task<string> RunAsync(string dir, params string[] args)
    {
        var info = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed: {output}");
        return output;
    }

    public string Folder => _dir;

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
