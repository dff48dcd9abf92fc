using System.Text;
using System.Text.Json.Nodes;

namespace Immutable.Tests.Hardening;

/// <summary>One hostile request and the answer it must get: a JSON 4xx naming the offending field.</summary>
/// <param name="Path">May hold {rule}, {monitor}, {webhook}, {alert} or {observation}: ids of resources the host holds.</param>
/// <param name="Field">The violation's field path on a 422; null when the error has no violations (400 invalid_json).</param>
public sealed record HostileCase(string Name, string Method, string Path, string? Body, int Status, string Error, string? Field)
{
    public string ContentType { get; init; } = "application/json";

    /// <summary>The body on the wire: UTF-8, except that the markers below become raw bytes no UTF-8 decoder accepts.</summary>
    public byte[] BodyBytes() => HostileCorpus.Encode(Body ?? "");
}

/// <summary>
/// A generated corpus of hostile bodies and query strings for every write and read endpoint. Every string field of
/// every body gets lone surrogates and invalid UTF-8; every number gets values out of a double's range; dates and
/// addresses get the ambiguous and absurd spellings; list endpoints get broken limits, cursors and dates.
/// </summary>
public static class HostileCorpus
{
    /// <summary>Becomes the bytes FF FE: never valid in UTF-8.</summary>
    public const string InvalidUtf8 = "<<INVALID-UTF8>>";
    /// <summary>Becomes ED A0 80: a UTF-16 surrogate encoded as UTF-8 (CESU-8), which UTF-8 forbids.</summary>
    public const string EncodedSurrogate = "<<UTF8-SURROGATE>>";

    private const string Placeholder = "\"__HOSTILE__\"";

    public static byte[] Encode(string text)
    {
        var bytes = new List<byte>();
        var rest = text;
        while (true)
        {
            var a = rest.IndexOf(InvalidUtf8, StringComparison.Ordinal);
            var b = rest.IndexOf(EncodedSurrogate, StringComparison.Ordinal);
            if (a < 0 && b < 0) break;
            var (at, marker, raw) = a >= 0 && (b < 0 || a < b) ? (a, InvalidUtf8, new byte[] { 0xFF, 0xFE }) : (b, EncodedSurrogate, new byte[] { 0xED, 0xA0, 0x80 });
            bytes.AddRange(Encoding.UTF8.GetBytes(rest[..at]));
            bytes.AddRange(raw);
            rest = rest[(at + marker.Length)..];
        }
        bytes.AddRange(Encoding.UTF8.GetBytes(rest));
        return bytes.ToArray();
    }

    /// <summary>JSON string values no reader can turn into a .NET string.</summary>
    public static readonly (string Label, string Json)[] UnreadableStrings =
    [
        ("lone high surrogate", "\"\\ud800\""),
        ("lone low surrogate", "\"a\\udc00b\""),
        ("reversed surrogate pair", "\"\\udc00\\ud800\""),
        ("high surrogate then text", "\"\\ud83dx\""),
        ("invalid UTF-8 bytes", $"\"x{InvalidUtf8}y\""),
        ("UTF-8 encoded surrogate", $"\"{EncodedSurrogate}\""),
    ];

    /// <summary>Numbers a double cannot hold: they would become infinity or silently zero.</summary>
    public static readonly (string Label, string Json)[] OutOfRangeNumbers =
    [
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        ("1e-400", "1e-400"),
        ("1E309", "1E309"),
        ("-2.5e-999", "-2.5e-999"),
        ("400-digit integer", new string('9', 400)),
    ];

    /// <summary>Integers no 32-bit field can hold, and the wrong JSON types for an integer.</summary>
    public static readonly (string Label, string Json)[] NotAnInt32 =
    [
        ("huge integer", "99999999999999999999999"),
        ("2^31", "2147483648"),
        ("fraction", "1.5"),
        ("numeric string", "\"5\""),
        ("boolean", "true"),
        ("array", "[]"),
    ];

    public static readonly (string Label, string Json)[] NotAString =
    [
        ("number", "123"),
        ("object", "{}"),
        ("array", "[\"a\"]"),
        ("boolean", "false"),
    ];

    public static readonly string[] BadOccurredAt =
    [
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "+275760-09-13T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
        "1969-12-31T23:59:59Z", "2027-03-27T00:00:00Z", "1/2/2026 10:00", "2026-01-02", "2026-01-02T10:00:00", "2026-01-02T10:00Z",
        "2026-01-02 10:00:00Z", "2026-01-02T24:00:00Z", "2026-01-02T10:60:00Z", "2026-01-02T10:00:00+24:00", "2026-01-02T10:00:00+0100",
        "2026-01-02T10:00:00.Z", "2026-01-02T10:00:00,5Z", " 2026-01-02T10:00:00Z", "2026-01-02T10:00:00Z ", "20260102T100000Z",
        "2026-W01-1T10:00:00Z", "Fri, 02 Jan 2026 10:00:00 GMT", "1767348000", "",
    ];

    public static readonly string[] BadIpAddresses =
    [
        "0x7f.0.0.1", "01.02.03.04", "0177.0.0.1", "127.1", "1.2.3", "1.2.3.4.5", "1.2.3.256", "2130706433", "fe80::1%eth0", "fe80::1%4",
        "[::1]", "[::1]:80", "1.2.3.4:80", " 1.2.3.4", "1.2.3.4 ", "::ffff:01.2.3.4", "2001:db8::g", "::1::2", "12345::1", "localhost", "",
        "１.２.３.４",
    ];

    private static readonly string[] EventStringFields =
    [
        "actor_id", "action", "actor_name", "actor_type", "action_category", "resource", "resource_id", "resource_name", "tenant_id",
        "session_id", "idempotency_key", "user_agent", "occurred_at", "ip_address", "targets[0].type", "targets[0].id", "targets[0].name",
        "targets[0].metadata.k", "metadata.note", "metadata.list[1]", "metadata.deep.er",
    ];

    private const string Event = """
        {"actor_id":"u_1","action":"auth.login","actor_name":"Ana","actor_type":"user","action_category":"auth","resource":"doc",
         "resource_id":"d1","resource_name":"Doc","targets":[{"type":"t","id":"t1","name":"T","metadata":{"k":"v"}}],
         "metadata":{"note":"n","n":1,"list":["a","b"],"deep":{"er":"x"}},"tenant_id":"t","session_id":"s","idempotency_key":"hostile",
         "version":1,"occurred_at":"2026-03-27T13:00:00Z","ip_address":"81.2.69.142","user_agent":"UA"}
        """;

    private const string Rule = """
        {"name":"Brute force","rule_type":"repeated_action","severity":"high","enabled":true,"channels":["email"],"cooldown_minutes":60,
         "conditions":{"action_patterns":["auth.failed"],"threshold":5,"window_minutes":10,"group_by":"actor_id"}}
        """;

    private const string OffHoursRule = """{"name":"Nights","rule_type":"off_hours","conditions":{"timezone":"UTC","start_hour":22,"end_hour":6,"days":["monday"]}}""";
    private const string SpikeRule = """{"name":"Spike","rule_type":"ingestion_spike","conditions":{"multiplier":3,"window_minutes":60,"baseline_days":7,"min_events":10}}""";
    private const string TravelRule = """{"name":"Travel","rule_type":"impossible_travel","conditions":{"max_speed_kmh":900,"min_distance_km":100}}""";

    private const string Monitor = """
        {"name":"Reads","enabled":true,"scope":{"type":"schema","value":"prod"},
         "conditions":{"tags":["PII"],"sensitivity":"sensitive","outcome":"success","min_duration_ms":5},
         "metric":"query_count","timeframe_minutes":60,"thresholds":[{"value":10,"severity":"low"}],"notify":"each","channels":["email"]}
        """;

    private const string Webhook = """{"url":"http://127.0.0.1:9/hook","enabled":true,"record_types":["alerts"]}""";

    private const string DryRun = """{"rule":{"name":"Spike","rule_type":"ingestion_spike"},"from":"2026-03-20T00:00:00Z","to":"2026-03-27T00:00:00Z"}""";

    /// <summary>The JSON text of <paramref name="baseJson"/> with the value at <paramref name="path"/> replaced by raw JSON.</summary>
    public static string With(string baseJson, string path, string valueJson)
    {
        var root = JsonNode.Parse(baseJson)!;
        var segments = Segments(path);
        var parent = root;
        for (var i = 0; i < segments.Count - 1; i++) parent = segments[i] is int index ? parent[index]! : parent[(string)segments[i]]!;
        if (segments[^1] is int last) parent[last] = "__HOSTILE__";
        else parent[(string)segments[^1]] = "__HOSTILE__";
        var text = root.ToJsonString();
        return text.Replace(Placeholder, valueJson, StringComparison.Ordinal);
    }

    private static List<object> Segments(string path)
    {
        var list = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket < 0) { list.Add(part); continue; }
            list.Add(part[..bracket]);
            foreach (var index in part[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
                list.Add(int.Parse(index.TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture));
        }
        return list;
    }

    private static string Batch(string item) =>
        "{\"events\":[" + string.Join(",", Enumerable.Range(0, 5).Select(i => i == 3 ? item : Event.Replace("\"hostile\"", $"\"batch-{i}\"", StringComparison.Ordinal))) + "]}";

    private static HostileCase Invalid(string name, string method, string path, string body, string field) =>
        new(name, method, path, body, 422, "validation_failed", field);

    /// <summary>400 invalid_json; 413 when the body is over the endpoint's limit, which is checked first.</summary>
    private static HostileCase Malformed(string name, string method, string path, string body, int maxBytes) =>
        Encode(body).Length > maxBytes
            ? new(name, method, path, body, 413, "payload_too_large", null)
            : new(name, method, path, body, 400, "invalid_json", null);

    public static IEnumerable<HostileCase> Bodies()
    {
        // POST /events: every string field, number and format.
        foreach (var field in EventStringFields)
        {
            foreach (var (label, json) in UnreadableStrings)
            {
                yield return Invalid($"event {field}: {label}", "POST", "/api/v1/events", With(Event, field, json), field);
                yield return Invalid($"batch events[3].{field}: {label}", "POST", "/api/v1/events/batch", Batch(With(Event, field, json)), $"events[3].{field}");
            }
            if (field.StartsWith("metadata.", StringComparison.Ordinal) || field.StartsWith("targets[0].metadata", StringComparison.Ordinal)) continue;
            foreach (var (label, json) in NotAString)
                yield return Invalid($"event {field}: {label} instead of a string", "POST", "/api/v1/events", With(Event, field, json), field);
        }
        foreach (var field in new[] { "metadata.n", "targets[0].metadata.k", "metadata.list[0]", "version" })
        {
            foreach (var (label, json) in OutOfRangeNumbers)
            {
                yield return Invalid($"event {field}: {label}", "POST", "/api/v1/events", With(Event, field, json), field);
                yield return Invalid($"batch events[3].{field}: {label}", "POST", "/api/v1/events/batch", Batch(With(Event, field, json)), $"events[3].{field}");
            }
        }
        foreach (var (label, json) in NotAnInt32)
            yield return Invalid($"event version: {label}", "POST", "/api/v1/events", With(Event, "version", json), "version");
        foreach (var text in BadOccurredAt)
        {
            yield return Invalid($"event occurred_at: '{text}'", "POST", "/api/v1/events", With(Event, "occurred_at", Quote(text)), "occurred_at");
            yield return Invalid($"batch events[3].occurred_at: '{text}'", "POST", "/api/v1/events/batch", Batch(With(Event, "occurred_at", Quote(text))), "events[3].occurred_at");
        }
        foreach (var text in BadIpAddresses)
        {
            yield return Invalid($"event ip_address: '{text}'", "POST", "/api/v1/events", With(Event, "ip_address", Quote(text)), "ip_address");
            yield return Invalid($"batch events[3].ip_address: '{text}'", "POST", "/api/v1/events/batch", Batch(With(Event, "ip_address", Quote(text))), "events[3].ip_address");
        }
        foreach (var (label, json) in new[] { ("a string", "\"x\""), ("an array", "[]"), ("a number", "1"), ("true", "true") })
        {
            yield return Invalid($"event metadata: {label}", "POST", "/api/v1/events", With(Event, "metadata", json), "metadata");
            yield return Invalid($"event targets: {label}", "POST", "/api/v1/events", With(Event, "targets", json == "[]" ? "{}" : json), "targets");
            yield return Invalid($"event targets[0]: {label}", "POST", "/api/v1/events", With(Event, "targets[0]", json), "targets[0]");
            yield return Invalid($"batch events: {label}", "POST", "/api/v1/events/batch", json == "[]" ? "{\"events\":{}}" : $"{{\"events\":{json}}}", "events");
            yield return Invalid($"batch events[3]: {label}", "POST", "/api/v1/events/batch", Batch(json), "events[3]");
        }
        yield return Invalid("event metadata: lone surrogate property name", "POST", "/api/v1/events", With(Event, "metadata", "{\"\\ud800\":1}"), "metadata");
        yield return Invalid("event metadata: repeated lone-surrogate property name", "POST", "/api/v1/events", With(Event, "metadata", "{\"\\ud800\":1,\"\\ud800\":2}"), "metadata");
        yield return Invalid("event metadata: two lone-surrogate property names", "POST", "/api/v1/events", With(Event, "metadata", "{\"a\":0,\"\\ud800\":1,\"\\udbff\":2}"), "metadata");
        yield return Invalid("event metadata: invalid UTF-8 property name", "POST", "/api/v1/events", With(Event, "metadata", $"{{\"k{InvalidUtf8}\":1}}"), "metadata");
        yield return Invalid("event: lone surrogate top-level property name", "POST", "/api/v1/events", Event.Replace("{\"actor_id\"", "{\"\\udfff\":1,\"actor_id\"", StringComparison.Ordinal), "body");
        yield return Invalid("batch: lone surrogate property name in events[3]", "POST", "/api/v1/events/batch", Batch(Event.Replace("{\"actor_id\"", "{\"\\udfff\":1,\"actor_id\"", StringComparison.Ordinal)), "events[3]");
        foreach (var (label, json) in new[] { ("null", "null"), ("a string", "\"x\""), ("an array", "[1]"), ("1e400", "1e400"), ("lone surrogate", "\"\\ud800\"") })
        {
            yield return Invalid($"event body: {label}", "POST", "/api/v1/events", json, "body");
            yield return Invalid($"batch body: {label}", "POST", "/api/v1/events/batch", json, "body");
        }
        foreach (var (label, body) in MalformedBodies(Event))
        {
            yield return Malformed($"event: {label}", "POST", "/api/v1/events", body, 1024 * 1024);
            yield return Malformed($"batch: {label}", "POST", "/api/v1/events/batch", $"{{\"events\":[{body}]}}", 8 * 1024 * 1024);
        }

        // Alert rules (create and update), including per-type conditions.
        foreach (var (method, path, verb) in new[] { ("POST", "/api/v1/alert-rules", "create rule"), ("PUT", "/api/v1/alert-rules/{rule}", "update rule") })
        {
            foreach (var (baseJson, field) in new[]
            {
                (Rule, "name"), (Rule, "rule_type"), (Rule, "severity"), (Rule, "channels[0]"), (Rule, "conditions.action_patterns[0]"),
                (Rule, "conditions.group_by"), (OffHoursRule, "conditions.timezone"), (OffHoursRule, "conditions.days[0]"),
            })
            {
                foreach (var (label, json) in UnreadableStrings)
                    yield return Invalid($"{verb} {field}: {label}", method, path, With(baseJson, field, json), field);
            }
            foreach (var (baseJson, field) in new[]
            {
                (Rule, "cooldown_minutes"), (Rule, "conditions.threshold"), (Rule, "conditions.window_minutes"), (OffHoursRule, "conditions.start_hour"),
                (SpikeRule, "conditions.multiplier"), (SpikeRule, "conditions.min_events"), (TravelRule, "conditions.max_speed_kmh"), (TravelRule, "conditions.min_distance_km"),
            })
            {
                foreach (var (label, json) in OutOfRangeNumbers)
                    yield return Invalid($"{verb} {field}: {label}", method, path, With(baseJson, field, json), field);
                if (field is "cooldown_minutes" or "conditions.threshold" or "conditions.start_hour" or "conditions.min_events")
                    foreach (var (label, json) in NotAnInt32)
                        yield return Invalid($"{verb} {field}: {label}", method, path, With(baseJson, field, json), field);
            }
            yield return Invalid($"{verb} name: a number", method, path, With(Rule, "name", "1"), "name");
            yield return Invalid($"{verb} enabled: a string", method, path, With(Rule, "enabled", "\"yes\""), "enabled");
            yield return Invalid($"{verb} conditions: an array", method, path, With(Rule, "conditions", "[]"), "conditions");
            yield return Invalid($"{verb} channels: a string", method, path, With(Rule, "channels", "\"email\""), "channels");
            yield return Invalid($"{verb} conditions: lone surrogate key", method, path, With(Rule, "conditions", "{\"\\ud800\":1}"), "conditions");
            yield return Invalid($"{verb} body: an array", method, path, "[]", "body");
            foreach (var (label, body) in MalformedBodies(Rule)) yield return Malformed($"{verb}: {label}", method, path, body, 64 * 1024);
        }

        // Dry run: dates, the rule inside, the saved rule's id.
        foreach (var (label, from, to, field) in new[]
        {
            ("year 1", "\"0001-01-01T00:00:00Z\"", "\"0001-01-02T00:00:00Z\"", "from"),
            ("before 1970", "\"1969-12-25T00:00:00Z\"", "\"1969-12-31T00:00:00Z\"", "from"),
            ("year 9999", "\"9999-12-30T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "to"),
            ("year 275760", "\"2026-03-20T00:00:00Z\"", "\"+275760-09-13T00:00:00Z\"", "to"),
            ("30 February", "\"2026-02-30T00:00:00Z\"", "\"2026-03-01T00:00:00Z\"", "from"),
            ("US date", "\"1/2/2026 10:00\"", "\"2026-01-03T00:00:00Z\"", "from"),
            ("offset overflow", "\"2026-03-20T00:00:00Z\"", "\"9999-12-31T23:59:59-01:00\"", "to"),
            ("a number", "1e400", "\"2026-03-27T00:00:00Z\"", "from"),
            ("lone surrogate", "\"2026-03-20T00:00:00Z\"", "\"\\ud800\"", "to"),
            ("date without time", "\"2026-02-29\"", "\"2026-03-01T00:00:00Z\"", "from"),
        })
        {
            yield return Invalid($"dry run {field}: {label}", "POST", "/api/v1/alert-rules/test",
                With(With(DryRun, "from", from), "to", to), field);
        }
        foreach (var (label, json) in UnreadableStrings)
        {
            yield return Invalid($"dry run rule.name: {label}", "POST", "/api/v1/alert-rules/test", With(DryRun, "rule.name", json), "rule.name");
            yield return Invalid($"dry run rule_id: {label}", "POST", "/api/v1/alert-rules/test", "{\"rule_id\":" + json + "}", "rule_id");
        }
        foreach (var (label, json) in OutOfRangeNumbers)
            yield return Invalid($"dry run rule.conditions.multiplier: {label}", "POST", "/api/v1/alert-rules/test", With(With(DryRun, "rule", SpikeRule), "rule.conditions.multiplier", json), "rule.conditions.multiplier");
        yield return Invalid("dry run to: year 1 without from", "POST", "/api/v1/alert-rules/test", With(DryRun, "to", "\"0001-01-03T00:00:00Z\"").Replace(",\"from\":\"2026-03-20T00:00:00Z\"", "", StringComparison.Ordinal), "to");
        yield return Invalid("dry run rule: a string", "POST", "/api/v1/alert-rules/test", With(DryRun, "rule", "\"x\""), "rule");
        foreach (var (label, body) in MalformedBodies(DryRun)) yield return Malformed($"dry run: {label}", "POST", "/api/v1/alert-rules/test", body, 64 * 1024);

        // Monitors (create and update).
        foreach (var (method, path, verb) in new[] { ("POST", "/api/v1/monitors", "create monitor"), ("PUT", "/api/v1/monitors/{monitor}", "update monitor") })
        {
            foreach (var field in new[] { "name", "scope.type", "scope.value", "conditions.tags[0]", "conditions.sensitivity", "conditions.outcome", "metric", "thresholds[0].severity", "notify", "channels[0]" })
                foreach (var (label, json) in UnreadableStrings)
                    yield return Invalid($"{verb} {field}: {label}", method, path, With(Monitor, field, json), field);
            foreach (var field in new[] { "timeframe_minutes", "thresholds[0].value", "conditions.min_duration_ms" })
                foreach (var (label, json) in OutOfRangeNumbers)
                    yield return Invalid($"{verb} {field}: {label}", method, path, With(Monitor, field, json), field);
            foreach (var (label, json) in NotAnInt32)
                yield return Invalid($"{verb} timeframe_minutes: {label}", method, path, With(Monitor, "timeframe_minutes", json), "timeframe_minutes");
            yield return Invalid($"{verb} thresholds[0].value: a string", method, path, With(Monitor, "thresholds[0].value", "\"10\""), "thresholds[0].value");
            yield return Invalid($"{verb} scope: a string", method, path, With(Monitor, "scope", "\"all\""), "scope");
            foreach (var (label, body) in MalformedBodies(Monitor)) yield return Malformed($"{verb}: {label}", method, path, body, 64 * 1024);
        }

        // Webhook endpoints (create and update).
        foreach (var (method, path, verb) in new[] { ("POST", "/api/v1/webhook-endpoints", "create webhook"), ("PUT", "/api/v1/webhook-endpoints/{webhook}", "update webhook") })
        {
            foreach (var field in new[] { "url", "record_types[0]" })
                foreach (var (label, json) in UnreadableStrings)
                    yield return Invalid($"{verb} {field}: {label}", method, path, With(Webhook, field, json), field);
            yield return Invalid($"{verb} url: surrogate inside the host", method, path, With(Webhook, "url", "\"http://exa\\ud800mple.com/\""), "url");
            yield return Invalid($"{verb} url: 1e400", method, path, With(Webhook, "url", "1e400"), "url");
            yield return Invalid($"{verb} enabled: 1e400", method, path, With(Webhook, "enabled", "1e400"), "enabled");
            yield return Invalid($"{verb} enabled: a string", method, path, With(Webhook, "enabled", "\"yes\""), "enabled");
            yield return Invalid($"{verb} record_types: a string", method, path, With(Webhook, "record_types", "\"alerts\""), "record_types");
            foreach (var (label, body) in MalformedBodies(Webhook)) yield return Malformed($"{verb}: {label}", method, path, body, 16 * 1024);
        }

        // Workspace settings, log streams and viewer tokens (issue 16).
        foreach (var (path, template, fields, maxBytes) in new[]
        {
            ("/api/v1/settings/ip-allowlist", """{"entries":["203.0.113.0/24"]}""", new[] { "entries[0]" }, 64 * 1024),
            ("/api/v1/settings/event-schema", """{"mode":"strict","patterns":["document.*"]}""", new[] { "mode", "patterns[0]" }, 64 * 1024),
            ("/api/v1/settings/viewer", """{"frame_ancestors":["https://app.example.com"]}""", new[] { "frame_ancestors[0]" }, 64 * 1024),
        })
        {
            foreach (var field in fields)
                foreach (var (label, json) in UnreadableStrings)
                    yield return Invalid($"settings {field}: {label}", "PUT", path, With(template, field, json), field);
            yield return Invalid($"settings {path}: 1e400 item", "PUT", path, With(template, fields[^1], "1e400"), fields[^1]);
            foreach (var (label, body) in MalformedBodies(template)) yield return Malformed($"settings {path}: {label}", "PUT", path, body, maxBytes);
        }
        const string Stream = """{"type":"webhook","url":"http://127.0.0.1:9/hook","enabled":true}""";
        foreach (var field in new[] { "type", "url" })
            foreach (var (label, json) in UnreadableStrings)
                yield return Invalid($"create log stream {field}: {label}", "POST", "/api/v1/log-streams", With(Stream, field, json), field);
        yield return Invalid("create log stream enabled: 1e400", "POST", "/api/v1/log-streams", With(Stream, "enabled", "1e400"), "enabled");
        yield return Invalid("create log stream enabled: a string", "POST", "/api/v1/log-streams", With(Stream, "enabled", "\"yes\""), "enabled");
        foreach (var (label, body) in MalformedBodies(Stream)) yield return Malformed($"create log stream: {label}", "POST", "/api/v1/log-streams", body, 16 * 1024);
        const string ViewerToken = """{"tenant_id":"t_1","actor_id":"u_1","ttl":600}""";
        foreach (var field in new[] { "tenant_id", "actor_id" })
            foreach (var (label, json) in UnreadableStrings)
                yield return Invalid($"viewer token {field}: {label}", "POST", "/api/v1/viewer-token", With(ViewerToken, field, json), field);
        foreach (var (label, json) in OutOfRangeNumbers.Concat(NotAnInt32))
            yield return Invalid($"viewer token ttl: {label}", "POST", "/api/v1/viewer-token", With(ViewerToken, "ttl", json), "ttl");
        foreach (var (label, body) in MalformedBodies(ViewerToken)) yield return Malformed($"viewer token: {label}", "POST", "/api/v1/viewer-token", body, 4 * 1024);

        // Acknowledge notes of a real open alert and observation.
        foreach (var (kind, path) in new[] { ("alert", "/api/v1/alerts/{alert}/acknowledge"), ("observation", "/api/v1/observations/{observation}/acknowledge") })
        {
            foreach (var (label, json) in UnreadableStrings)
                yield return Invalid($"acknowledge {kind} note: {label}", "POST", path, "{\"note\":" + json + "}", "note");
            foreach (var (label, json) in OutOfRangeNumbers.Take(3))
                yield return Invalid($"acknowledge {kind} note: {label}", "POST", path, "{\"note\":" + json + "}", "note");
            yield return Invalid($"acknowledge {kind} note: an object", "POST", path, "{\"note\":{}}", "note");
            yield return Invalid($"acknowledge {kind} note: 2001 characters", "POST", path, "{\"note\":\"" + new string('n', 2001) + "\"}", "note");
            yield return Invalid($"acknowledge {kind}: lone surrogate property name", "POST", path, "{\"\\ud800\":\"x\"}", "body");
            yield return Invalid($"acknowledge {kind} body: an array", "POST", path, "[]", "body");
            foreach (var (label, body) in MalformedBodies("{\"note\":\"n\"}")) yield return Malformed($"acknowledge {kind}: {label}", "POST", path, body, 16 * 1024);
        }

        // Exports: every filter and the format. Retention's window.
        const string Export = """{"from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z","actor_id":"u","action":"a.*","resource":"r","resource_id":"r1","tenant_id":"t","session_id":"s","target_type":"x","target_id":"y","search":"q","format":"csv"}""";
        foreach (var field in new[] { "from", "to", "actor_id", "action", "resource", "resource_id", "tenant_id", "session_id", "target_type", "target_id", "search", "format" })
        {
            foreach (var (label, json) in UnreadableStrings)
                yield return Invalid($"export {field}: {label}", "POST", "/api/v1/exports", With(Export, field, json), field);
            foreach (var (label, json) in NotAString)
                yield return Invalid($"export {field}: {label} instead of a string", "POST", "/api/v1/exports", With(Export, field, json), field);
        }
        foreach (var (label, json) in new[] { ("null", "null"), ("a string", "\"x\""), ("an array", "[1]"), ("1e400", "1e400") })
            yield return Invalid($"export body: {label}", "POST", "/api/v1/exports", json, "body");
        foreach (var (label, body) in MalformedBodies(Export)) yield return Malformed($"export: {label}", "POST", "/api/v1/exports", body, 16 * 1024);
        foreach (var (label, json) in OutOfRangeNumbers.Concat(NotAnInt32))
            yield return Invalid($"retention_days: {label}", "PUT", "/api/v1/retention", "{\"retention_days\":" + json + "}", "retention_days");
        foreach (var (label, body) in MalformedBodies("{\"retention_days\":30}")) yield return Malformed($"retention: {label}", "PUT", "/api/v1/retention", body, 4 * 1024);
    }

    /// <summary>Bodies that are not JSON at all: 400 invalid_json with the envelope.</summary>
    private static IEnumerable<(string Label, string Body)> MalformedBodies(string valid)
    {
        var inner = valid.TrimStart()[1..];
        yield return ("10 000 nested arrays", "{\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "," + inner);
        yield return ("10 000 nested objects", "{\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000) + "," + inner);
        yield return ("NaN token", "{\"x\":NaN," + inner);
        yield return ("Infinity token", "{\"x\":-Infinity," + inner);
        yield return ("hex number", "{\"x\":0x10," + inner);
        yield return ("leading zero", "{\"x\":01," + inner);
        yield return ("leading plus", "{\"x\":+1," + inner);
        yield return ("invalid UTF-8 outside strings", "{\"x\":1" + InvalidUtf8 + "," + inner);
        yield return ("raw control character in a string", "{\"x\":\"a\u0001b\"," + inner);
        yield return ("trailing garbage", valid + "}");
        yield return ("truncated", valid[..(valid.Length / 2)]);
    }

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>Query strings of the list and read endpoints.</summary>
    public static IEnumerable<HostileCase> Queries()
    {
        var lists = new[] { "/api/v1/events", "/api/v1/alerts", "/api/v1/observations", "/api/v1/webhook-endpoints/{webhook}/deliveries" };
        var badLimits = new[] { "-1", "0", "1e9", "abc", "99999999999999999999", "1.5", "+5", "0x10", "%205", "%00", "%ED%A0%80", "%EF%BC%95" };
        var badCursors = new (string Label, string Value)[]
        {
            ("not base64", "!!!"), ("percent-encoded surrogate", "%ED%A0%80"), ("base64 of text", Cursor("not json")),
            ("base64 of invalid UTF-8", Base64Url([0xFF, 0xFE, 0xFD])), ("negative key", Cursor("""{"s":-1,"id":"x"}""")),
            ("long.MinValue key", Cursor("""{"s":-9223372036854775808,"id":"x"}""")), ("key beyond long", Cursor("""{"s":99999999999999999999,"id":"x"}""")),
            ("key 1e400", Cursor("""{"s":1e400,"id":"x"}""")), ("fractional key", Cursor("""{"s":1.5,"id":"x"}""")), ("string key", Cursor("""{"s":"1","id":"x"}""")),
            ("no id", Cursor("""{"s":1}""")), ("lone surrogate id", Cursor("""{"s":1,"id":"\ud800"}""")), ("null", Cursor("null")), ("array", Cursor("[]")),
            ("deep nesting", Cursor(new string('[', 1000) + new string(']', 1000))),
        };
        var badDates = new[]
        {
            "%2B275760-09-13T00:00:00Z", "2026-02-30T00:00:00Z", "1/2/2026%2010:00", "abc", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00%2B01:00",
            "2026-01-02T10:00:00%2B25:00", "2026-13-01", "%ED%A0%80", "1767348000",
        };
        foreach (var path in lists)
        {
            foreach (var limit in badLimits) yield return Invalid($"GET {path} limit={limit}", "GET", $"{path}?limit={limit}", "", "limit");
            foreach (var (label, value) in badCursors) yield return Invalid($"GET {path} cursor: {label}", "GET", $"{path}?cursor={value}", "", "cursor");
            if (path.Contains("deliveries", StringComparison.Ordinal)) continue;
            foreach (var date in badDates)
            {
                yield return Invalid($"GET {path} from={date}", "GET", $"{path}?from={date}", "", "from");
                yield return Invalid($"GET {path} to={date}", "GET", $"{path}?to={date}", "", "to");
            }
        }
        yield return Invalid("GET /api/v1/events order=sideways", "GET", "/api/v1/events?order=sideways", "", "order");
        foreach (var limit in new[] { "0", "-1", "1000001", "abc", "1e6" })
            yield return Invalid($"GET /api/v1/verify limit={limit}", "GET", $"/api/v1/verify?limit={limit}", "", "limit");
        foreach (var date in badDates)
            yield return Invalid($"GET /api/v1/verify from={date}", "GET", $"/api/v1/verify?from={date}", "", "from");
        const string observation = "/api/v1/observations/{observation}";
        foreach (var limit in new[] { "0", "1001", "abc", "-5" })
            yield return Invalid($"GET observation events_limit={limit}", "GET", $"{observation}?events_limit={limit}", "", "events_limit");
        foreach (var (label, value) in badCursors.Append(("ticks long.MaxValue", Cursor("""{"s":9223372036854775807,"id":"x"}""")))
                     .Append(("ticks past year 9999", Cursor("""{"s":3155378976000000000,"id":"x"}"""))))
            yield return Invalid($"GET observation events_cursor: {label}", "GET", $"{observation}?events_cursor={value}", "", "events_cursor");
    }

    /// <summary>Hostile but legitimate: answered with a 2xx (never a 5xx).</summary>
    public static IEnumerable<HostileCase> Harmless()
    {
        static HostileCase Ok(string name, string path) => new(name, "GET", path, null, 200, "", null);
        yield return Ok("events cursor at long.MaxValue", "/api/v1/events?cursor=" + Cursor("""{"s":9223372036854775807,"id":"x"}"""));
        yield return Ok("alerts cursor at long.MaxValue", "/api/v1/alerts?cursor=" + Cursor("""{"s":9223372036854775807,"id":"x"}"""));
        yield return Ok("events from year 1 to year 9999", "/api/v1/events?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z");
        yield return Ok("alerts from year 1 to year 9999", "/api/v1/alerts?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z");
        yield return Ok("observations from year 1 to year 9999", "/api/v1/observations?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z");
        yield return Ok("verify from year 1 to year 9999", "/api/v1/verify?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z");
        yield return Ok("events limit above the maximum is clamped", "/api/v1/events?limit=1000000000");
        yield return Ok("events filters with invalid UTF-8", "/api/v1/events?actor_id=%ED%A0%80&search=%FF%FE&action=%C0%AF*");
        yield return Ok("events search with LIKE wildcards and NUL", "/api/v1/events?search=%25_%5C%00");
        yield return Ok("alerts filters with invalid UTF-8", "/api/v1/alerts?actor_id=%FF&rule_id=%ED%A0%80");
        yield return new HostileCase("event with integers beyond 2^53 in metadata", "POST", "/api/v1/events",
            """{"actor_id":"u","action":"a.b","metadata":{"big":12345678901234567890123,"neg":-98765432109876543210987}}""", 202, "", null);
        yield return new HostileCase("event with 1e-7 and 1e21 in metadata", "POST", "/api/v1/events",
            """{"actor_id":"u","action":"a.b","metadata":{"small":1e-7,"large":1e21,"pair":"\ud83d\ude00"}}""", 202, "", null);
    }

    public static string Cursor(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
