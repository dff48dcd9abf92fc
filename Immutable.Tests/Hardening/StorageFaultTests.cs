using System.Diagnostics;
using System.Net;
using Immutable.Tests.TestSupport;

namespace Immutable.Tests.Hardening;

/// <summary>A small filesystem of its own (tmpfs; the tests run as root, as test.sh and CI do).</summary>
internal sealed class SmallDisk : IDisposable
{
    public SmallDisk(int megabytes)
    {
        Path = Directory.CreateTempSubdirectory("immutable-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", Path);
    }

    public string Path { get; }

    public void RemountReadOnly() => Run("mount", "-o", "remount,ro", Path);

    /// <summary>Fills the remaining space with a file; returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create);
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException) { }
        return filler;
    }

    public static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Run("umount", "-l", Path); } catch (InvalidOperationException) { }
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Item 7: storage faults are reported honestly and recovered from without a restart.</summary>
public sealed class StorageFaultTests
{
    [Fact]
    public async Task DiskFull_IngestAnswers503StorageUnavailable_ReadyzNotReady_ThenRecoversByItself()
    {
        using var disk = new SmallDisk(24);
        using var app = new ImmutableAppFactory(Path.Combine(disk.Path, "data"));
        var client = await app.CreateWorkspaceClientAsync();
        await client.IngestAsync(new { actor_id = "a", action = "x.y" });
        var filler = disk.Fill();

        var padding = new string('p', 8000);
        HttpResponseMessage? refused = null;
        var accepted = 0;
        for (var i = 0; i < 2000 && refused is null; i++)
        {
            var response = await client.PostJsonAsync("/api/v1/events", new { actor_id = "a", action = "x.y", metadata = new { padding, i } });
            if (response.StatusCode == HttpStatusCode.Accepted) accepted++;
            else refused = response;
        }
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        Assert.Equal("storage_unavailable", (await refused.ReadJsonAsync())["error"]!.GetValue<string>());

        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("write_failing: disk_full", (await ready.ReadJsonAsync())["database"]!.GetValue<string>());

        File.Delete(filler);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/api/v1/events", new { actor_id = "a", action = "x.y" })).StatusCode);
        // Nothing half-stored: every acknowledged event is there and the chain is whole.
        var verify = (await client.GetJsonAsync("/api/v1/verify"))["data"]!;
        Assert.True(verify["valid"]!.GetValue<bool>());
        Assert.Equal(accepted + 2, verify["events_checked"]!.GetValue<int>());
    }

    private static async Task<(int ExitCode, string Stderr)> StartAsync(string dataDirectory)
    {
        var info = AppProcess.StartInfo(dataDirectory, "--urls", $"http://127.0.0.1:{AppProcess.FreePort()}");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the app kept running over a store it cannot write:\n" + await stdout);
        }
        await stdout;
        return (process.ExitCode, (await stderr).Trim());
    }

    public static TheoryData<string> UnusableStores => ["directory", "garbage"];

    [Theory]
    [MemberData(nameof(UnusableStores))]
    public async Task UnopenableDatabaseAtStart_OneClearLineAndExitCode1(string kind)
    {
        var data = Directory.CreateTempSubdirectory("immutable-unopenable-").FullName;
        try
        {
            var db = Path.Combine(data, "immutable.db");
            if (kind == "directory") Directory.CreateDirectory(db);
            else await File.WriteAllTextAsync(db, string.Concat(Enumerable.Repeat("this is not a database. ", 400)));
            var (exit, stderr) = await StartAsync(data);
            Assert.Equal(1, exit);
            var line = Assert.Single(stderr.Split('\n'));
            Assert.StartsWith("Immutable cannot start: ", line);
            Assert.Contains(db, line);
            Assert.Contains(kind == "directory" ? "is a directory" : "not a SQLite database", line);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task ReadOnlyDatabaseAtStart_OneClearLineAndExitCode1()
    {
        using var disk = new SmallDisk(64);
        var (created, _, createErr) = await AppProcess.RunCliAsync(disk.Path, "keys", "create", "--workspace", "acme", "--label", "ro");
        Assert.True(created == 0, createErr);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        disk.RemountReadOnly();
        var (exit, stderr) = await StartAsync(disk.Path);
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Split('\n'));
        Assert.StartsWith("Immutable cannot start: ", line);
        Assert.Contains("read-only", line);
    }
}
