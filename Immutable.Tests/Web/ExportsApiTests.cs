using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using CsvHelper.Configuration;
using Immutable.Domain.Chain;
using Immutable.Tests.TestSupport;
using Immutable.Web.Exports;
using Immutable.Web.Integrity;
using Immutable.Web.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Immutable.Tests.Web;

/// <summary>
/// Exports through the real host: the client libraries' calls (no body, {}), the background worker, the signed link
/// used with no key, and the files read back with a real CSV reader and by recomputing every hash.
/// </summary>
[Trait("Postgres", "run")]
public sealed class ExportsApiTests : IDisposable
{
    private readonly ImmutableAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<HttpClient> ClientAsync() => await _app.CreateWorkspaceClientAsync();

    private HttpClient Anonymous() => _app.CreateClient();

    private static readonly object[] Tricky =
    [
        new { actor_id = "user_1", actor_name = "=HYPERLINK(\"http://evil\",\"x\")", action = "auth.login", session_id = "s1", ip_address = "81.2.69.142", metadata = new { note = "a, \"quoted\"\r\nline" } },
        new { actor_id = "user_1", actor_name = "+1+1", action = "document.viewed", resource = "document", resource_id = "-2+3", session_id = "s1", targets = new[] { new { type = "file", id = "@SUM(1)" } } },
        new { actor_id = "user_2", actor_name = "@cmd", action = "document.deleted", resource = "document", resource_name = "\tTabbed", user_agent = "\rCarriage", tenant_id = "t1" },
        // Back-dated: it happened an hour before it was sent, so an event-time range and an ingestion-time range differ.
        new { actor_id = "user_2", actor_name = "Zoë 東京 ✓", action = "invoice.paid", occurred_at = "2026-03-27T13:00:00Z", ip_address = "2.125.160.216", metadata = new { amount = 12.5, big = 12345678901234567890123m } },
    ];

    [Fact]
    public async Task Create_without_a_body_with_an_empty_body_or_with_an_empty_object_exports_everything()
    {
        var client = await ClientAsync();
        await client.IngestAsync(new { actor_id = "u", action = "a.b" });

        var noBody = await client.PostAsync("/api/v1/exports", null);
        var emptyJson = await client.PostAsync("/api/v1/exports", new StringContent("", Encoding.UTF8, "application/json"));
        var emptyObject = await client.PostJsonAsync("/api/v1/exports", "{}");
        var expectedRows = 1L; // the event, then also the audit records of the exports asked for before
        foreach (var response in new[] { noBody, emptyJson, emptyObject })
        {
            var body = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToJsonString());
            var id = body["id"]!.GetValue<string>();
            Assert.Matches("^exp_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", id);
            Assert.Equal("pending", body["status"]!.GetValue<string>());
            Assert.Equal(id, body["data"]!["id"]!.GetValue<string>());
            Assert.Equal("{}", body["data"]!["filters"]!.ToJsonString());
            Assert.Equal("csv", body["data"]!["format"]!.GetValue<string>());
            var done = await client.WaitForExportAsync(id);
            Assert.Equal("completed", done["status"]!.GetValue<string>());
            Assert.Equal(expectedRows++, done["total_rows"]!.GetValue<long>());
            foreach (var key in new[] { "id", "status", "filters", "total_rows", "file_size", "download_url", "error_message", "created_at", "expires_at" })
                Assert.True(done.AsObject().ContainsKey(key), key);
        }
    }

    [Fact]
    public async Task Csv_export_reads_back_with_a_real_csv_reader_with_formulas_neutralised()
    {
        var client = await ClientAsync();
        var ids = new List<string>();
        foreach (var e in Tricky) ids.Add(await client.IngestAsync(e));

        var created = await client.CreateExportAsync(new { format = "csv" });
        var done = await client.WaitForExportAsync(created["id"]!.GetValue<string>());
        Assert.Equal(4, done["total_rows"]!.GetValue<long>());
        using var anonymous = Anonymous();
        var response = await ExportKit.DownloadAnonymouslyAsync(anonymous, done);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(done["file_size"]!.GetValue<long>(), bytes.Length);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);

        using var reader = new CsvReader(new StreamReader(new MemoryStream(bytes), Encoding.UTF8), new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = false });
        Assert.True(reader.Read());
        reader.ReadHeader();
        Assert.Equal(CsvExportWriter.Columns, reader.HeaderRecord);
        var rows = new List<Dictionary<string, string>>();
        while (reader.Read()) rows.Add(CsvExportWriter.Columns.ToDictionary(c => c, c => reader.GetField(c)!));

        Assert.Equal(ids, rows.Select(r => r["id"]).ToList()); // oldest first
        Assert.Equal(["1", "2", "3", "4"], rows.Select(r => r["sequence"]).ToArray());
        Assert.Equal("'=HYPERLINK(\"http://evil\",\"x\")", rows[0]["actor_name"]);
        Assert.Equal("'+1+1", rows[1]["actor_name"]);
        Assert.Equal("'-2+3", rows[1]["resource_id"]);
        Assert.Equal("'@cmd", rows[2]["actor_name"]);
        Assert.Equal("'\tTabbed", rows[2]["resource_name"]);
        Assert.Equal("'\rCarriage", rows[2]["user_agent"]);
        Assert.Equal("Zoë 東京 ✓", rows[3]["actor_name"]);
        Assert.Equal("a, \"quoted\"\r\nline", JsonNode.Parse(rows[0]["metadata"])!["note"]!.GetValue<string>());
        Assert.Equal("12345678901234567890123", JsonNode.Parse(rows[3]["metadata"])!["big"]!.ToJsonString());
        Assert.Equal("@SUM(1)", JsonNode.Parse(rows[1]["targets"])![0]!["id"]!.GetValue<string>());
        Assert.Equal("[]", rows[0]["targets"]);
        Assert.Equal("81.2.69.142", rows[0]["ip_address"]);
        // Every cell equals what the events API says about the same event (beyond the neutralising apostrophe).
        var api = (await client.GetJsonAsync("/api/v1/events?order=asc"))["data"]!.AsArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(api[i]!["integrity"]!["event_hash"]!.GetValue<string>(), rows[i]["event_hash"]);
            Assert.Equal(api[i]!["created_at"]!.GetValue<string>(), rows[i]["created_at"]);
            Assert.Equal(api[i]!["action"]!.GetValue<string>(), rows[i]["action"]);
        }
        Assert.Equal("", rows[0]["previous_event_hash"]);
        Assert.Equal(rows[0]["event_hash"], rows[1]["previous_event_hash"]);

        // And a second, independent reader: Python's csv module (Debian's python3) sees the same cells.
        var path = Path.Combine(_app.DataDirectory, "read-back.csv");
        await File.WriteAllBytesAsync(path, bytes);
        var python = await RunPythonAsync("""
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                rows = list(csv.DictReader(f))
            print(json.dumps([[r['id'], r['actor_name'], r['metadata']] for r in rows]))
            """, path);
        var fromPython = JsonNode.Parse(python)!.AsArray();
        Assert.Equal(4, fromPython.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(rows[i]["id"], fromPython[i]![0]!.GetValue<string>());
            Assert.Equal(rows[i]["actor_name"], fromPython[i]![1]!.GetValue<string>());
            Assert.Equal(rows[i]["metadata"], fromPython[i]![2]!.GetValue<string>());
        }
    }

    private static async Task<string> RunPythonAsync(string script, string argument)
    {
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }

    [Fact]
    public async Task Ndjson_export_verifies_offline_with_its_signed_checkpoint_like_a_proof_bundle()
    {
        var key = await _app.CreateKeyAsync("acme");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        foreach (var e in Tricky) await client.IngestAsync(e);
        // A signed checkpoint over these four events (the integrity worker signs on its schedule; here, now).
        Assert.NotNull(await _app.Services.GetRequiredService<CheckpointWriter>().WriteIfDueAsync(key.WorkspaceId, force: true, default));

        var done = await client.WaitForExportAsync((await client.CreateExportAsync(new { format = "ndjson" }))["id"]!.GetValue<string>());
        var response = await client.GetAsync(new Uri(done["download_url"]!.GetValue<string>()).PathAndQuery);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("bundle", lines[0]["kind"]!.GetValue<string>());
        Assert.Equal(key.WorkspaceId, lines[0]["workspace_id"]!.GetValue<string>());
        Assert.Equal(done["id"]!.GetValue<string>(), lines[0]["export_id"]!.GetValue<string>());
        Assert.Contains(lines, l => l["kind"]?.GetValue<string>() == "public_key");
        Assert.Contains(lines, l => l["kind"]?.GetValue<string>() == "checkpoint");
        var events = lines.Where(l => l["kind"] is null).ToList();
        var api = (await client.GetJsonAsync("/api/v1/events?order=asc"))["data"]!.AsArray();
        Assert.Equal(4, events.Count); // the export's own audit record came after its snapshot
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(api[i]!["id"]!.GetValue<string>(), events[i]["id"]!.GetValue<string>());
            Assert.Equal(i + 1, events[i]["integrity"]!["sequence"]!.GetValue<long>());
            Assert.Equal(api[i]!["integrity"]!["event_hash"]!.GetValue<string>(), events[i]["integrity"]!["event_hash"]!.GetValue<string>());
        }

        // With no server and no database: every hash, every link, the checkpoint's signature and Merkle root.
        var path = Path.Combine(_app.DataDirectory, "export.ndjson");
        await File.WriteAllTextAsync(path, text);
        var result = OfflineVerifier.Verify(path, null);
        Assert.True(result.Valid, string.Join("; ", result.Breaks.Select(b => b.Detail ?? b.Type.ToString())));
        Assert.Equal(4, result.EventsChecked);
        Assert.Equal(1, result.CheckpointsChecked);
        Assert.Equal(0, result.StatementsSkipped);

        // One changed value in one event line: its hash no longer holds.
        await File.WriteAllTextAsync(path, text.Replace("invoice.paid", "invoice.void", StringComparison.Ordinal));
        var tampered = OfflineVerifier.Verify(path, null);
        Assert.False(tampered.Valid);
        Assert.Contains(tampered.Breaks, b => b.Type == ChainBreakType.HashMismatch && b.Sequence == 4);
    }

    public static TheoryData<string, string> FilterSets => new()
    {
        { """{"actor_id":"user_1"}""", "actor_id=user_1" },
        { """{"action":"document.*"}""", "action=document.*" },
        { """{"resource":"document","tenant_id":"t1"}""", "resource=document&tenant_id=t1" },
        { """{"session_id":"s1","search":"HYPERLINK"}""", "session_id=s1&search=HYPERLINK" },
        { """{"search":"東京"}""", "search=%E6%9D%B1%E4%BA%AC" },
        { """{"from":"2026-03-27T14:01:00Z","to":"2026-03-27T14:02:00Z"}""", "from=2026-03-27T14:01:00Z&to=2026-03-27T14:02:00Z" },
        // The Events page's range is by event time unless switched: the back-dated event is in one range, not the other.
        { """{"time":"occurred","from":"2026-03-27T12:30:00Z","to":"2026-03-27T13:30:00Z"}""", "time=occurred&from=2026-03-27T12:30:00Z&to=2026-03-27T13:30:00Z" },
        { """{"time":"ingested","from":"2026-03-27T12:30:00Z","to":"2026-03-27T13:30:00Z"}""", "time=ingested&from=2026-03-27T12:30:00Z&to=2026-03-27T13:30:00Z" },
        { """{"ip_address":"81.2.69.142"}""", "ip_address=81.2.69.142" },
        { """{"country":"gb"}""", "country=GB" },
    };

    [Theory]
    [MemberData(nameof(FilterSets))]
    public async Task Export_filters_select_exactly_the_events_the_events_api_lists(string body, string query)
    {
        var client = await ClientAsync();
        foreach (var e in Tricky)
        {
            await client.IngestAsync(e);
            _app.Time.Advance(TimeSpan.FromSeconds(40));
        }
        var done = await client.WaitForExportAsync((await client.CreateExportAsync(JsonNode.Parse(body)!))["id"]!.GetValue<string>());
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        var csv = await (await client.GetAsync(new Uri(done["download_url"]!.GetValue<string>()).PathAndQuery)).Content.ReadAsStringAsync();
        using var reader = new CsvReader(new StringReader(csv), CultureInfo.InvariantCulture);
        var exported = reader.GetRecords<dynamic>().Select(r => (string)((IDictionary<string, object>)r)["id"]).ToList();
        // The export's own audit record (export.created, whose metadata holds the filters) came after its snapshot.
        var listed = (await client.GetJsonAsync($"/api/v1/events?order=asc&limit=100&{query}"))["data"]!.AsArray()
            .Where(e => e!["action"]!.GetValue<string>() != "export.created").Select(e => e!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(listed, exported);
        Assert.Equal(listed.Count, done["total_rows"]!.GetValue<long>());
        Assert.Equal(JsonNode.Parse(body)!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal), done["filters"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Invalid_filters_answer_422_naming_each_field_and_store_nothing()
    {
        var client = await ClientAsync();
        var response = await client.PostJsonAsync("/api/v1/exports", """{"from":"yesterday","to":"2026-01-01","actor_id":5,"format":"xlsx","time":"when","country":"GBR"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("validation_failed", body["error"]!.GetValue<string>());
        Assert.Equal(["actor_id", "country", "format", "from", "time"], body["violations"]!.AsArray().Select(v => v!["field"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonAsync("/api/v1/exports", "{\"from\":")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostJsonAsync("/api/v1/exports", "[1]")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostJsonAsync("/api/v1/exports", """{"from":"2026-03-02","to":"2026-03-01"}""")).StatusCode);
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.Exports.CountAsync());
    }

    /// <summary>Rows inserted as a previous process would have left them: no worker is told about them until a restart.</summary>
    private async Task<string> InsertExportAsync(string workspaceId, ExportStatus status, string filters = "{}")
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<ImmutableDbContext>>().CreateDbContextAsync();
        var now = Timestamps.ToMicroseconds(_app.Time.GetUtcNow());
        var id = "exp_" + Guid.NewGuid().ToString("D");
        db.Exports.Add(new ExportRecord
        {
            Id = id, WorkspaceId = workspaceId, Status = status, Format = ExportFormat.Csv, Filters = filters, SnapshotSequence = 1_000_000,
            CreatedBy = "api_key:test", CreatedAt = now, ExpiresAt = now.AddHours(24),
        });
        await db.SaveChangesAsync();
        return id;
    }

    [Fact]
    public async Task A_sixth_waiting_or_running_export_is_refused_with_429_and_retry_after()
    {
        var key = await _app.CreateKeyAsync("acme");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        for (var i = 0; i < 3; i++) await InsertExportAsync(key.WorkspaceId, ExportStatus.Pending);
        for (var i = 0; i < 2; i++) await InsertExportAsync(key.WorkspaceId, ExportStatus.Processing);
        await InsertExportAsync(key.WorkspaceId, ExportStatus.Completed);

        var response = await client.PostAsync("/api/v1/exports", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var body = await response.ReadJsonAsync();
        Assert.Equal("rate_limited", body["error"]!.GetValue<string>());

        // Another workspace is not limited by acme's exports.
        var other = await _app.CreateWorkspaceClientAsync("globex");
        Assert.Equal(HttpStatusCode.Accepted, (await other.PostAsync("/api/v1/exports", null)).StatusCode);
    }

    [Fact]
    public async Task Download_is_409_before_completion_and_410_after_expiry_when_the_file_is_deleted()
    {
        var key = await _app.CreateKeyAsync("acme");
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        await client.IngestAsync(new { actor_id = "u", action = "a.b" });

        var pending = await InsertExportAsync(key.WorkspaceId, ExportStatus.Pending);
        var notReady = await client.GetAsync($"/api/v1/exports/{pending}/download");
        Assert.Equal(HttpStatusCode.Conflict, notReady.StatusCode);
        Assert.Equal("export_not_ready", (await notReady.ReadJsonAsync())["error"]!.GetValue<string>());
        Assert.Null((await client.GetJsonAsync($"/api/v1/exports/{pending}"))["data"]!["download_url"]);

        var done = await client.WaitForExportAsync((await client.CreateExportAsync(new { }))["id"]!.GetValue<string>());
        var expiresAt = DateTime.Parse(done["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.Equal(_app.Time.GetUtcNow().UtcDateTime.AddHours(24), expiresAt, TimeSpan.FromSeconds(1));
        using var anonymous = Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await ExportKit.DownloadAnonymouslyAsync(anonymous, done)).StatusCode);
        // With the key and no token, the same file.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/exports/{done["id"]}/download")).StatusCode);

        var file = Directory.GetFiles(Path.Combine(_app.DataDirectory, "exports"), done["id"]!.GetValue<string>() + ".csv").Single();
        _app.Time.Advance(TimeSpan.FromHours(24));
        var gone = await ExportKit.DownloadAnonymouslyAsync(anonymous, done);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal("gone", (await gone.ReadJsonAsync())["error"]!.GetValue<string>());
        // The cleanup job (its schedule follows the fake clock) may already have run; after this call the file is gone either way.
        await _app.Services.GetRequiredService<ExportService>().DeleteExpiredAsync();
        Assert.False(File.Exists(file));
        var after = (await client.GetJsonAsync($"/api/v1/exports/{done["id"]}"))["data"]!;
        Assert.Equal("completed", after["status"]!.GetValue<string>());
        Assert.True(after["expired"]!.GetValue<bool>());
        Assert.Null(after["download_url"]);
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"/api/v1/exports/{done["id"]}/download")).StatusCode);
    }

    [Fact]
    public async Task Download_links_open_only_their_own_export_and_keys_only_their_workspace()
    {
        var acme = await ClientAsync();
        await acme.IngestAsync(new { actor_id = "u", action = "a.b" });
        var first = await acme.WaitForExportAsync((await acme.CreateExportAsync(new { }))["id"]!.GetValue<string>());
        var second = await acme.WaitForExportAsync((await acme.CreateExportAsync(new { format = "ndjson" }))["id"]!.GetValue<string>());
        var firstToken = new Uri(first["download_url"]!.GetValue<string>()).Query;
        using var anonymous = Anonymous();

        // first's token on second's id, a tampered token, no token and no key: all refused with the JSON envelope.
        foreach (var url in new[] { $"/api/v1/exports/{second["id"]}/download{firstToken}", $"/api/v1/exports/{first["id"]}/download{firstToken}x", $"/api/v1/exports/{first["id"]}/download" })
        {
            var response = await anonymous.GetAsync(url);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("unauthenticated", (await response.ReadJsonAsync())["error"]!.GetValue<string>());
        }
        // Another workspace's key sees no such export, and cannot read it either.
        var globex = await _app.CreateWorkspaceClientAsync("globex");
        Assert.Equal(HttpStatusCode.NotFound, (await globex.GetAsync($"/api/v1/exports/{first["id"]}/download")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.GetAsync($"/api/v1/exports/{first["id"]}")).StatusCode);
        // The export request is in acme's chain: who exported what.
        var audit = (await acme.GetJsonAsync("/api/v1/events?action=export.created"))["data"]!.AsArray();
        Assert.Equal(2, audit.Count);
        Assert.Equal("export", audit[0]!["resource"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenApi_document_lists_the_export_and_retention_endpoints()
    {
        var doc = await _app.CreateClient().GetJsonAsync("/openapi/v1.json");
        var paths = doc["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/exports", "/api/v1/exports/{id}", "/api/v1/exports/{id}/download", "/api/v1/retention", "/api/v1/retention/run", "/api/v1/archives" })
            Assert.True(paths.ContainsKey(path), path);
        Assert.True(paths["/api/v1/exports"]!["post"]!["responses"]!.AsObject().ContainsKey("429"));
        Assert.True(paths["/api/v1/exports/{id}/download"]!["get"]!["responses"]!.AsObject().ContainsKey("410"));
    }
}
