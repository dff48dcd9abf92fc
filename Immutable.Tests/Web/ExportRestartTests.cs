using System.Net;
using Immutable.Domain.Chain;
using Immutable.Tests.TestSupport;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>An export interrupted by a stop (left pending, or processing with a half-written file) runs again at the next start.</summary>
public sealed class ExportRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("immutable-export-restart-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public async Task Exports_left_pending_or_processing_by_a_stopped_host_complete_after_a_restart()
    {
        string workspaceId, key, pending, processing;
        using (var first = new ImmutableAppFactory(_data))
        {
            var created = await first.CreateKeyAsync("acme");
            (workspaceId, key) = (created.WorkspaceId, created.Key);
            using var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            for (var i = 0; i < 30; i++) await client.IngestAsync(new { actor_id = $"u{i % 3}", action = "a.b" });
            // As a killed process leaves them: one never started, one half-written (its .part file is still there).
            await using var db = await first.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
            var now = Timestamps.ToMicroseconds(first.Time.GetUtcNow());
            pending = "exp_" + Guid.NewGuid().ToString("D");
            processing = "exp_" + Guid.NewGuid().ToString("D");
            db.Exports.Add(new ExportRecord { Id = pending, WorkspaceId = workspaceId, Status = ExportStatus.Pending, Format = ExportFormat.Csv, Filters = """{"actor_id":"u1"}""", SnapshotSequence = 30, CreatedBy = "api_key:t", CreatedAt = now, ExpiresAt = now.AddHours(24) });
            db.Exports.Add(new ExportRecord { Id = processing, WorkspaceId = workspaceId, Status = ExportStatus.Processing, Format = ExportFormat.Ndjson, Filters = "{}", SnapshotSequence = 20, RowsWritten = 7, TotalRows = 20, CreatedBy = "api_key:t", CreatedAt = now, StartedAt = now, ExpiresAt = now.AddHours(24) });
            await db.SaveChangesAsync();
            Directory.CreateDirectory(Path.Combine(_data, "exports"));
            await File.WriteAllTextAsync(Path.Combine(_data, "exports", processing + ".ndjson.part"), "{\"half\":");
        }

        using var second = new ImmutableAppFactory(_data);
        using var again = second.CreateClient();
        again.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var a = await again.WaitForExportAsync(pending);
        var b = await again.WaitForExportAsync(processing);
        Assert.Equal("completed", a["status"]!.GetValue<string>());
        Assert.Equal(10, a["total_rows"]!.GetValue<long>());
        Assert.Equal("completed", b["status"]!.GetValue<string>());
        // The snapshot holds: the events stored when it was asked for, not the ones after.
        Assert.Equal(20, b["total_rows"]!.GetValue<long>());
        var file = Path.Combine(_data, "restarted.ndjson");
        await File.WriteAllTextAsync(file, await (await again.GetAsync(new Uri(b["download_url"]!.GetValue<string>()).PathAndQuery)).Content.ReadAsStringAsync());
        var verified = Immutable.Web.Integrity.OfflineVerifier.Verify(file, null);
        Assert.True(verified.Valid);
        Assert.Equal(20, verified.EventsChecked);
        Assert.False(File.Exists(Path.Combine(_data, "exports", processing + ".ndjson.part")));
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync($"/api/v1/exports/{pending}/download")).StatusCode);
    }
}
