using System.Globalization;
using System.Text;
using Immutable.Domain.Chain;
using Immutable.Web.Storage;

namespace Immutable.Web.Exports;

/// <summary>Writes an export's rows to its file, one at a time (nothing is kept between rows).</summary>
public interface IExportFileWriter : IAsyncDisposable
{
    void Write(EventRecord e);

    /// <summary>A line that is not an event (NDJSON header, keys, proof statements); CSV files have none.</summary>
    void WriteTrailer(string jsonLine);

    Task FlushAsync(CancellationToken ct);

    public static IExportFileWriter For(ExportFormat format, Stream stream) => format switch
    {
        ExportFormat.Csv => new CsvExportWriter(stream),
        ExportFormat.Ndjson => new NdjsonExportWriter(stream),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}

/// <summary>
/// CSV for spreadsheets and auditors: RFC 4180 (comma, CRLF, fields with a comma, quote, CR or LF quoted, quotes doubled),
/// UTF-8 with a byte-order mark (so spreadsheet programs read it as UTF-8), one header row, one column per flattened
/// field in <see cref="Columns"/> order, targets and metadata as JSON text.
/// Invariant: no text cell starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR, which spreadsheets run as
/// formulas: such a cell gets a leading apostrophe (OWASP's advice for CSV injection). Numbers are written by us and
/// are not text cells.
/// </summary>
public sealed class CsvExportWriter(Stream stream) : IExportFileWriter
{
    public static readonly string[] Columns =
    [
        "id", "sequence", "created_at", "occurred_at", "actor_id", "actor_name", "actor_type", "action", "action_category",
        "resource", "resource_id", "resource_name", "targets", "metadata", "tenant_id", "session_id", "ip_address",
        "ip_country", "ip_city", "ip_latitude", "ip_longitude", "ip_accuracy_radius_km", "ip_time_zone", "user_agent",
        "idempotency_key", "version", "previous_event_hash", "event_hash",
    ];

    private readonly StreamWriter _writer = new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024, leaveOpen: true) { NewLine = "\r\n" };
    private bool _headerWritten;

    public void Write(EventRecord e)
    {
        if (!_headerWritten)
        {
            _writer.Write(string.Join(',', Columns));
            _writer.Write("\r\n");
            _headerWritten = true;
        }
        Text(e.Id, first: true);
        Number(e.Sequence);
        Text(Timestamps.ToIso(e.CreatedAt));
        Text(Timestamps.ToIso(e.OccurredAt));
        Text(e.ActorId);
        Text(e.ActorName);
        Text(e.ActorType);
        Text(e.Action);
        Text(e.ActionCategory);
        Text(e.Resource);
        Text(e.ResourceId);
        Text(e.ResourceName);
        Text(e.Targets ?? "[]");
        Text(e.Metadata);
        Text(e.TenantId);
        Text(e.SessionId);
        Text(e.IpAddress);
        Text(e.IpCountry);
        Text(e.IpCity);
        Number(e.IpLatitude);
        Number(e.IpLongitude);
        Number(e.IpAccuracyRadiusKm);
        Text(e.IpTimeZone);
        Text(e.UserAgent);
        Text(e.IdempotencyKey);
        Number(e.Version);
        Text(e.PreviousEventHash);
        Text(e.EventHash);
        _writer.Write("\r\n");
    }

    /// <summary>A header row even for an export with no rows.</summary>
    public void WriteTrailer(string jsonLine) { }

    public async Task FlushAsync(CancellationToken ct)
    {
        if (!_headerWritten)
        {
            await _writer.WriteAsync(string.Join(',', Columns) + "\r\n");
            _headerWritten = true;
        }
        await _writer.FlushAsync(ct);
    }

    /// <summary>The cell as a spreadsheet must show it: formula triggers neutralised, then RFC 4180 quoting.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private void Text(string? value, bool first = false)
    {
        if (!first) _writer.Write(',');
        _writer.Write(Cell(value));
    }

    private void Number(double? value)
    {
        _writer.Write(',');
        if (value is { } v) _writer.Write(CanonicalJson.FormatNumber(v));
    }

    private void Number(long? value)
    {
        _writer.Write(',');
        if (value is { } v) _writer.Write(v.ToString(CultureInfo.InvariantCulture));
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}

/// <summary>
/// NDJSON for verification, in the proof bundle's line format (docs/hash-chain.md, "Offline verification"), so
/// <c>integrity verify-offline</c> checks an export as it checks a bundle: a header (<c>"kind":"bundle"</c>, with the
/// workspace, the export and its filters), the public keys, then one event per line as the API returns it (with
/// <c>integrity.sequence</c>, <c>integrity.previous_event_hash</c>, <c>integrity.event_hash</c>), oldest first, then the
/// checkpoints and anchors that cover the range (<see cref="Integrity.IExportProofSource"/>). UTF-8 without BOM, LF.
/// </summary>
public sealed class NdjsonExportWriter(Stream stream) : IExportFileWriter
{
    private readonly StreamWriter _writer = new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };

    public void Write(EventRecord e)
    {
        _writer.Write(System.Text.Json.JsonSerializer.Serialize(Events.EventJson.From(e), Integrity.VerificationHistory.Json));
        _writer.Write('\n');
    }

    /// <summary>A header, key or statement line.</summary>
    public void WriteTrailer(string jsonLine)
    {
        _writer.Write(jsonLine);
        _writer.Write('\n');
    }

    public Task FlushAsync(CancellationToken ct) => _writer.FlushAsync(ct);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
