using System.Text.Json;
using Immutable.Domain.Alerts;
using Immutable.Domain.Monitors;
using Microsoft.Extensions.Time.Testing;

namespace Immutable.Tests.Domain;

public class MonitorWindowTests
{
    private static readonly DateTime T0 = new(2026, 3, 27, 9, 0, 0, DateTimeKind.Utc);

    private static ActivityMonitor Hourly(params (double Value, Severity Severity)[] thresholds) => new()
    {
        Id = "mon_test",
        WorkspaceId = "ws",
        Name = "queries per hour",
        TimeframeMinutes = 60,
        Thresholds = thresholds.Select(t => new Threshold(t.Value, t.Severity)).ToList(),
    };

    /// <summary>Queries stamped by a fake clock advancing <paramref name="every"/> between them.</summary>
    private static List<UserActivity> Queries(int count, DateTime start, TimeSpan every)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(start));
        var list = new List<UserActivity>();
        for (var i = 0; i < count; i++)
        {
            list.Add(new UserActivity(clock.GetUtcNow().UtcDateTime, 1, Guid.NewGuid()));
            clock.Advance(every);
        }
        return list;
    }

    private static List<ObservationDraft> EvaluateAll(ActivityMonitor m, List<UserActivity> events, List<ObservationMark> stored)
    {
        var timeline = new UserTimeline(events);
        var ends = events.SelectMany(e => MonitorWindows.EndsContaining(e.At, m.TimeframeMinutes));
        return MonitorWindows.Evaluate(m, timeline, ends, stored);
    }

    [Fact]
    public void Windows_AreAlignedTo10Minutes_AndHalfOpen()
    {
        Assert.Equal(new DateTime(2026, 3, 27, 9, 10, 0), MonitorWindows.FirstEndAfter(new DateTime(2026, 3, 27, 9, 3, 0)));
        Assert.Equal(new DateTime(2026, 3, 27, 9, 20, 0), MonitorWindows.FirstEndAfter(new DateTime(2026, 3, 27, 9, 10, 0)));
        var ends = MonitorWindows.EndsContaining(new DateTime(2026, 3, 27, 9, 10, 0, DateTimeKind.Utc), 60).ToList();
        Assert.Equal(6, ends.Count);
        Assert.Equal(new DateTime(2026, 3, 27, 10, 10, 0), ends[^1]);

        var timeline = new UserTimeline([new UserActivity(new DateTime(2026, 3, 27, 9, 10, 0, DateTimeKind.Utc), 1, Guid.NewGuid())]);
        Assert.Equal(0, timeline.Metric(T0, T0.AddMinutes(10)));    // the event at 09:10 is not in [09:00, 09:10)
        Assert.Equal(1, timeline.Metric(T0.AddMinutes(10), T0.AddMinutes(20)));
    }

    [Fact]
    public void ExactlyAtThreshold_IsNotABreach_OneMoreIs()
    {
        var m = Hourly((10, Severity.Low));
        Assert.Empty(EvaluateAll(m, Queries(10, T0, TimeSpan.FromMinutes(1)), []));
        var drafts = EvaluateAll(m, Queries(11, T0, TimeSpan.FromMinutes(1)), []);
        var only = Assert.Single(drafts);
        Assert.Equal((11.0, Severity.Low), (only.MetricValue, only.Threshold.Severity));
        Assert.Equal(11, only.EventIds.Count);
    }

    [Fact]
    public void SeveralThresholdsCrossedAtOnce_HighestWins()
    {
        var m = Hourly((10, Severity.Low), (50, Severity.Medium), (100, Severity.High));
        var burst = Queries(150, T0, TimeSpan.FromSeconds(2));
        var only = Assert.Single(EvaluateAll(m, burst, []));
        Assert.Equal(Severity.High, only.Threshold.Severity);
        Assert.Equal(100, only.Threshold.Value);
    }

    [Fact]
    public void SeverityRisingInsideAnEpisode_GivesOneMoreObservation_NotOnePerWindow()
    {
        var m = Hourly((10, Severity.Low), (100, Severity.High));
        // Steady 20/10min for an hour (LOW), then a burst pushing the hour over 100 (HIGH).
        var events = Queries(120, T0, TimeSpan.FromSeconds(30));
        events.AddRange(Queries(60, T0.AddMinutes(60), TimeSpan.FromSeconds(5)));
        var drafts = EvaluateAll(m, events, []);
        Assert.Equal([Severity.Low, Severity.High], drafts.Select(d => d.Threshold.Severity));
    }

    [Fact]
    public void EpisodeThatEnds_AndCrossesAgain_GetsANewObservation()
    {
        var m = Hourly((10, Severity.Low));
        var events = Queries(20, T0, TimeSpan.FromMinutes(1));
        events.AddRange(Queries(20, T0.AddHours(5), TimeSpan.FromMinutes(1)));
        var drafts = EvaluateAll(m, events, []);
        Assert.Equal(2, drafts.Count);
        Assert.True(drafts[1].WindowEnd - drafts[0].WindowEnd > TimeSpan.FromHours(4));
    }

    [Fact]
    public void ReEvaluatingTheSameWindows_CreatesNothingNew()
    {
        var m = Hourly((10, Severity.Low));
        var events = Queries(20, T0, TimeSpan.FromMinutes(1));
        var stored = new List<ObservationMark>();
        Assert.Single(EvaluateAll(m, events, stored));
        Assert.Empty(EvaluateAll(m, events, stored));
    }

    [Fact]
    public void LateEvents_AreCountedInTheWindowsTheyBelongTo()
    {
        var m = Hourly((10, Severity.Low));
        var stored = new List<ObservationMark>();
        var onTime = Queries(8, T0, TimeSpan.FromMinutes(1));
        Assert.Empty(EvaluateAll(m, onTime, stored));

        // Three more arrive later, stamped inside the already evaluated hour.
        var late = Queries(3, T0.AddMinutes(20), TimeSpan.FromMinutes(1));
        var timeline = new UserTimeline(onTime.Concat(late));
        var drafts = MonitorWindows.Evaluate(m, timeline, late.SelectMany(e => MonitorWindows.EndsContaining(e.At, 60)), stored);
        var only = Assert.Single(drafts);
        Assert.Equal(11, only.MetricValue);
        Assert.True(only.WindowEnd <= T0.AddMinutes(70));
    }

    [Fact]
    public void LateEventExtendingAnEpisodeBackwards_DoesNotDuplicateIt()
    {
        var m = Hourly((10, Severity.Low));
        var stored = new List<ObservationMark>();
        var events = Queries(15, T0.AddMinutes(30), TimeSpan.FromMinutes(1));
        Assert.Single(EvaluateAll(m, events, stored));
        var late = Queries(12, T0, TimeSpan.FromMinutes(1));
        var timeline = new UserTimeline(events.Concat(late));
        Assert.Empty(MonitorWindows.Evaluate(m, timeline, late.SelectMany(e => MonitorWindows.EndsContaining(e.At, 60)), stored));
    }

    [Theory]
    [InlineData(60, 1000, "Greater than 1000 query events in the last 1 hour.")]
    [InlineData(1440, 1000000, "Greater than 1000000 query events in the last 1 day.")]
    [InlineData(30, 5, "Greater than 5 query events in the last 30 minutes.")]
    [InlineData(10080, 2, "Greater than 2 query events in the last 7 days.")]
    public void Message_SaysWhatWasExceeded(int timeframe, double value, string expected) =>
        Assert.Equal(expected, MonitorWindows.Message(Hourly((value, Severity.Low)) with { TimeframeMinutes = timeframe }, new Threshold(value, Severity.Low)));
}

public class MonitorMatchingTests
{
    private static QueryContext Q(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return QueryContext.Parse(doc.RootElement, [])!;
    }

    private static ActivityMonitor M(MonitorScope? scope = null, MonitorConditions? conditions = null, MonitorMetric metric = MonitorMetric.QueryCount) => new()
    {
        Id = "mon", WorkspaceId = "ws", Name = "m", Scope = scope ?? MonitorScope.All, Conditions = conditions ?? MonitorConditions.None,
        Metric = metric, Thresholds = [new Threshold(1, Severity.Low)],
    };

    [Fact]
    public void Tags_MustAllBePresent_AcrossColumnTableAndClassificationTags()
    {
        var m = M(conditions: MonitorConditions.None with { Tags = ["PII", "finance"] });
        Assert.True(m.Matches(Q("""{"column_tags":["pii"],"classification_tags":["Finance"]}""")));
        Assert.True(m.Matches(Q("""{"table_tags":["PII","finance"]}""")));
        Assert.False(m.Matches(Q("""{"column_tags":["PII"]}""")));
    }

    [Fact]
    public void Sensitivity_Sensitive_IncludesHighlySensitive()
    {
        var sensitive = M(conditions: MonitorConditions.None with { Sensitivity = Sensitivity.Sensitive });
        var highly = M(conditions: MonitorConditions.None with { Sensitivity = Sensitivity.HighlySensitive });
        Assert.True(sensitive.Matches(Q("""{"sensitivity":"highly_sensitive"}""")));
        Assert.True(sensitive.Matches(Q("""{"sensitivity":"sensitive"}""")));
        Assert.False(sensitive.Matches(Q("""{"sensitivity":"non_sensitive"}""")));
        Assert.False(highly.Matches(Q("""{"sensitivity":"sensitive"}""")));
        Assert.False(highly.Matches(Q("""{}""")));
    }

    [Fact]
    public void Scope_OutcomeAndDuration()
    {
        Assert.True(M(new MonitorScope(ScopeType.Schema, "prod")).Matches(Q("""{"schema":"prod"}""")));
        Assert.False(M(new MonitorScope(ScopeType.Schema, "prod")).Matches(Q("""{"schema":"staging"}""")));
        Assert.True(M(new MonitorScope(ScopeType.DataSource, "orders")).Matches(Q("""{"data_source":"orders"}""")));
        Assert.False(M(conditions: MonitorConditions.None with { Outcome = QueryOutcome.Unauthorized }).Matches(Q("""{"outcome":"success"}""")));
        Assert.True(M(conditions: MonitorConditions.None with { MinDurationMs = 500 }).Matches(Q("""{"duration_ms":500}""")));
        Assert.False(M(conditions: MonitorConditions.None with { MinDurationMs = 500 }).Matches(Q("""{"duration_ms":499.9}""")));
    }

    [Fact]
    public void Metrics_CountQueries_Rows_OrUnauthorizedQueries()
    {
        var q = Q("""{"rows":1500,"outcome":"unauthorized"}""");
        Assert.Equal(1, M().Contribution(q));
        Assert.Equal(1500, M(metric: MonitorMetric.RowsAccessed).Contribution(q));
        Assert.Equal(1, M(metric: MonitorMetric.UnauthorizedQueryCount).Contribution(q));
        Assert.Equal(0, M(metric: MonitorMetric.UnauthorizedQueryCount).Contribution(Q("""{"outcome":"success"}""")));
    }

    [Theory]
    [InlineData("""{"rows":-1}""", "rows")]
    [InlineData("""{"rows":1.5}""", "rows")]
    [InlineData("""{"rows":"10"}""", "rows")]
    [InlineData("""{"sensitivity":"secret"}""", "sensitivity")]
    [InlineData("""{"outcome":"denied"}""", "outcome")]
    [InlineData("""{"column_tags":"PII"}""", "column_tags")]
    [InlineData("""{"duration_ms":-3}""", "duration_ms")]
    [InlineData("""{"table_tags":["PII",3]}""", "table_tags")]
    [InlineData("""{"schema":["prod"]}""", "schema")]
    public void Parse_InvalidContextValue_NamesTheKey(string json, string key)
    {
        using var doc = JsonDocument.Parse(json);
        var problems = new List<(string Key, string Message)>();
        Assert.Null(QueryContext.Parse(doc.RootElement, problems));
        Assert.Equal(key, Assert.Single(problems).Key);
        // The monitors' own read, without a problem list, takes an invalid context as none.
        Assert.Same(QueryContext.Empty, QueryContext.FromMetadataJson(json));
    }

    [Fact]
    public void Parse_ReadsEveryKey_TagsInOrder()
    {
        var q = Q("""{"data_source":"warehouse","schema":"prod","table":"customers","column_tags":["email","ssn"],"table_tags":[],"classification_tags":["PII"],"sensitivity":"sensitive","outcome":"failure","rows":12,"duration_ms":3.5}""");
        Assert.Equal(("warehouse", "prod", "customers"), (q.DataSource, q.Schema, q.Table));
        Assert.Equal(["email", "ssn"], q.ColumnTags);
        Assert.Empty(q.TableTags);
        Assert.Equal(["PII"], q.ClassificationTags);
        Assert.Equal((Sensitivity.Sensitive, QueryOutcome.Failure, 12L, 3.5), (q.Sensitivity, q.Outcome, q.Rows, q.DurationMs));
    }

    /// <summary>The shared strings read exactly what <see cref="JsonElement.GetString"/> reads, escapes, non-ASCII and
    /// long values included, and a recurring value is one instance.</summary>
    [Theory]
    [InlineData("PII")]
    [InlineData("")]
    [InlineData(@"tab\there \""quoted\"" \u00e9")]
    [InlineData("données-sensibles ✓ 🔒")]
    [InlineData("a-table-name-well-over-sixty-four-characters-long-so-it-is-not-pooled-at-all")]
    public void JsonStrings_ReadTheSameValueAsGetString(string jsonText)
    {
        using var first = JsonDocument.Parse($$"""{"v":"{{jsonText}}"}""");
        using var second = JsonDocument.Parse($$"""{"v":"{{jsonText}}"}""");
        var expected = first.RootElement.GetProperty("v").GetString();
        var a = JsonStrings.Get(first.RootElement.GetProperty("v"));
        var b = JsonStrings.Get(second.RootElement.GetProperty("v"));
        Assert.Equal(expected, a);
        Assert.Equal(expected, b);
        if (expected!.Length <= JsonStrings.MaxLength && !jsonText.Contains('\\')) Assert.Same(a, b);
    }
}
