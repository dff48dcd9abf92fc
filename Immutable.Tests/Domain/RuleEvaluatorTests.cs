using Immutable.Domain.Rules;

namespace Immutable.Tests.Domain;

public class NewCountryTests
{
    private readonly RuleTestKit _kit = new(new DateTimeOffset(2026, 3, 20, 14, 0, 0, TimeSpan.Zero));

    [Fact]
    public void FirstCountry_IsTheBaseline_NotAnAlert()
    {
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), []);
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.NewYork)));
        Assert.Equal([("jordan", "US")], rule.DrainLearned());
    }

    [Fact]
    public void SecondCountry_Fires_WithPreviousCountries()
    {
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), []);
        rule.Observe(_kit.Event(geo: RuleTestKit.NewYork));
        rule.Observe(_kit.Event(geo: RuleTestKit.Boston));
        var hit = rule.Observe(_kit.Event(geo: RuleTestKit.Bucharest));
        Assert.NotNull(hit);
        var context = Assert.IsType<NewCountryContext>(hit.Context);
        Assert.Equal(["US"], context.PreviousCountries);
        Assert.Equal("RO", context.NewCountry);
        Assert.Equal("Actor jordan logged in from RO for the first time (previously seen in: US)", hit.Reason);
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.Bucharest)));
    }

    [Fact]
    public void EventsWithoutGeo_NeitherFireNorTeach()
    {
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), []);
        Assert.Null(rule.Observe(_kit.Event(geo: null)));
        Assert.Empty(rule.DrainLearned());
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.Bucharest)));
    }

    [Fact]
    public void RememberedCountries_SurviveARestart()
    {
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), [("jordan", "US")]);
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.NewYork)));
        Assert.NotNull(rule.Observe(_kit.Event(geo: RuleTestKit.Sydney)));
    }

    [Fact]
    public void OtherActions_AreIgnored()
    {
        var rule = new NewCountryEvaluator(RuleTestKit.Rule(new NewCountryConditions()), [("jordan", "US")]);
        Assert.Null(rule.Observe(_kit.Event(action: "doc.viewed", geo: RuleTestKit.Sydney)));
    }
}

public class OffHoursTests
{
    private static OffHoursEvaluator Rule(string zone, int start, int end, params DayOfWeek[] days) =>
        new(RuleTestKit.Rule(new OffHoursConditions { TimeZone = zone, StartHour = start, EndHour = end, Days = days }));

    private static DateTime Utc(int y, int mo, int d, int h, int mi) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(22, 0, true)]
    [InlineData(23, 30, true)]
    [InlineData(0, 0, true)]
    [InlineData(5, 59, true)]
    [InlineData(6, 0, false)]
    [InlineData(12, 0, false)]
    [InlineData(21, 59, false)]
    public void WindowWrappingMidnight_22To6_CoversTenPmTo559(int hour, int minute, bool off)
    {
        var kit = new RuleTestKit(new DateTimeOffset(2026, 3, 18, 0, 0, 0, TimeSpan.Zero)); // a Wednesday
        var hit = Rule("UTC", 22, 6).Observe(kit.Event(occurredAt: Utc(2026, 3, 18, hour, minute)));
        Assert.Equal(off, hit is not null);
    }

    [Fact]
    public void PlainWindow_StartBeforeEnd_IsHalfOpen()
    {
        Assert.True(OffHoursEvaluator.IsOffHours(new DateTime(2026, 3, 18, 12, 0, 0), 12, 14, []));
        Assert.True(OffHoursEvaluator.IsOffHours(new DateTime(2026, 3, 18, 13, 59, 0), 12, 14, []));
        Assert.False(OffHoursEvaluator.IsOffHours(new DateTime(2026, 3, 18, 14, 0, 0), 12, 14, []));
    }

    [Fact]
    public void OffDays_AreOffAllDay()
    {
        var kit = new RuleTestKit(new DateTimeOffset(2026, 3, 21, 12, 0, 0, TimeSpan.Zero)); // Saturday noon
        Assert.NotNull(Rule("UTC", 22, 6, DayOfWeek.Saturday, DayOfWeek.Sunday).Observe(kit.Event()));
    }

    [Fact]
    public void NewYork_SpringForward_UsesDaylightTimeAfterTheChange()
    {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT (UTC-5 → UTC-4). Off-hours 1 → 3.
        var kit = new RuleTestKit(new DateTimeOffset(2026, 3, 8, 0, 0, 0, TimeSpan.Zero));
        var rule = Rule("America/New_York", 1, 3);
        var before = rule.Observe(kit.Event(occurredAt: Utc(2026, 3, 8, 6, 30)));   // 01:30 EST
        var after = rule.Observe(kit.Event(occurredAt: Utc(2026, 3, 8, 7, 30)));    // 03:30 EDT (02:30 without DST)
        Assert.NotNull(before);
        Assert.Equal("2026-03-08T01:30:00-05:00", Assert.IsType<OffHoursContext>(before.Context).LocalTime);
        Assert.Null(after);
    }

    [Fact]
    public void NewYork_FallBack_RepeatedHourIsLocalBothTimes()
    {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice, both off-hours for 1 → 2.
        var kit = new RuleTestKit(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var rule = Rule("America/New_York", 1, 2);
        Assert.NotNull(rule.Observe(kit.Event(occurredAt: Utc(2026, 11, 1, 5, 30))));   // 01:30 EDT
        Assert.NotNull(rule.Observe(kit.Event(occurredAt: Utc(2026, 11, 1, 6, 30))));   // 01:30 EST
        Assert.Null(rule.Observe(kit.Event(occurredAt: Utc(2026, 11, 1, 7, 30))));      // 02:30 EST
    }

    [Fact]
    public void Bucharest_SpringForward_And_FallBack()
    {
        // 2026-03-29 03:00 EET → 04:00 EEST (UTC+2 → UTC+3); 2026-10-25 04:00 EEST → 03:00 EET. Off-hours 22 → 4.
        var kit = new RuleTestKit(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero));
        var rule = Rule("Europe/Bucharest", 22, 4);
        Assert.NotNull(rule.Observe(kit.Event(occurredAt: Utc(2026, 3, 29, 0, 30))));  // 02:30 EET
        Assert.Null(rule.Observe(kit.Event(occurredAt: Utc(2026, 3, 29, 1, 30))));     // 04:30 EEST (03:30 without DST)
        Assert.NotNull(rule.Observe(kit.Event(occurredAt: Utc(2026, 10, 25, 0, 30)))); // 03:30 EEST
        Assert.Null(rule.Observe(kit.Event(occurredAt: Utc(2026, 10, 25, 2, 30))));    // 04:30 EET
    }

    [Fact]
    public void Reason_NamesLocalTimeAndWindow()
    {
        var kit = new RuleTestKit(new DateTimeOffset(2026, 3, 27, 7, 17, 0, TimeSpan.Zero));
        var hit = Rule("America/New_York", 22, 6).Observe(kit.Event(actor: "user_5a3c8f"));
        Assert.Equal("Actor user_5a3c8f logged in at 03:17 America/New_York (Friday), outside working hours (22:00–05:59 is off-hours)", hit!.Reason);
    }
}

public class RepeatedActionTests
{
    private readonly RuleTestKit _kit = new(new DateTimeOffset(2026, 3, 20, 14, 0, 0, TimeSpan.Zero));

    private RepeatedActionEvaluator Rule(string groupBy = "metadata.attempted_email", int threshold = 5, int window = 10) =>
        new(RuleTestKit.Rule(new RepeatedActionConditions { ActionPatterns = ["auth.login_failed"], GroupBy = groupBy, Threshold = threshold, WindowMinutes = window }));

    private Immutable.Domain.Events.AuditEvent Failed(string email, DateTime? at = null, string actor = "unknown") =>
        _kit.Event("auth.login_failed", actor, metadata: $$"""{"attempted_email":"{{email}}"}""", occurredAt: at);

    [Fact]
    public void CountExactlyAtThreshold_Fires_OneBelowDoesNot()
    {
        var rule = Rule();
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(rule.Observe(Failed("jordan@acme.io")));
            _kit.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        var hit = rule.Observe(Failed("jordan@acme.io"));
        Assert.NotNull(hit);
        var context = Assert.IsType<RepeatedActionContext>(hit.Context);
        Assert.Equal((5, 5, "jordan@acme.io"), (context.Count, context.Threshold, context.GroupKey));
        Assert.Equal(5, hit.RelatedEventIds.Count);
    }

    [Fact]
    public void EventExactlyAtWindowEdge_IsInside_OneTickLaterIsOutside()
    {
        var start = _kit.Clock.GetUtcNow().UtcDateTime;
        var inside = Rule();
        var outside = Rule();
        for (var i = 0; i < 4; i++)
        {
            inside.Observe(Failed("a@b.c", start.AddMinutes(i)));
            outside.Observe(Failed("a@b.c", start.AddMinutes(i)));
        }
        Assert.Null(outside.Observe(Failed("a@b.c", start.AddMinutes(10).AddTicks(10))));
        Assert.NotNull(inside.Observe(Failed("a@b.c", start.AddMinutes(10))));
    }

    [Fact]
    public void GroupKeysDifferingOnlyInCase_AreOneGroup()
    {
        var rule = Rule(threshold: 3);
        rule.Observe(Failed("Jordan@Acme.io"));
        rule.Observe(Failed("jordan@acme.io"));
        var hit = rule.Observe(Failed("JORDAN@ACME.IO"));
        Assert.Equal("jordan@acme.io", hit!.GroupKey);
    }

    [Fact]
    public void DifferentGroups_AreCountedApart()
    {
        var rule = Rule(threshold: 3);
        rule.Observe(Failed("a@x.io"));
        rule.Observe(Failed("b@x.io"));
        Assert.Null(rule.Observe(Failed("c@x.io")));
    }

    [Fact]
    public void OutOfOrderEvent_IsCountedInTheWindowItBelongsTo()
    {
        var start = _kit.Clock.GetUtcNow().UtcDateTime;
        var rule = Rule(threshold: 3);
        Assert.Null(rule.Observe(Failed("a@x.io", start.AddMinutes(20))));
        Assert.Null(rule.Observe(Failed("a@x.io", start)));
        Assert.Null(rule.Observe(Failed("a@x.io", start.AddMinutes(9))));
        // A late event at +15 joins +9 and +20 (within 10 minutes of each other... 11 apart: no), and +9/+0: yes.
        var hit = rule.Observe(Failed("a@x.io", start.AddMinutes(5)));
        Assert.NotNull(hit);
        Assert.Equal(3, Assert.IsType<RepeatedActionContext>(hit.Context).Count);
    }

    [Fact]
    public void GroupByIp_And_ByActor()
    {
        var byIp = Rule("ip_address", threshold: 2);
        byIp.Observe(_kit.Event("auth.login_failed", "u1", ip: "203.0.113.9"));
        Assert.NotNull(byIp.Observe(_kit.Event("auth.login_failed", "u2", ip: "203.0.113.9")));

        var byActor = Rule("actor_id", threshold: 2);
        byActor.Observe(_kit.Event("auth.login_failed", "Mallory"));
        Assert.NotNull(byActor.Observe(_kit.Event("auth.login_failed", "mallory")));
    }

    [Fact]
    public void MissingGroupValue_IsNotCounted()
    {
        var rule = Rule(threshold: 1);
        Assert.Null(rule.Observe(_kit.Event("auth.login_failed", "unknown", metadata: """{"other":1}""")));
    }
}

public class HighVolumeDestructiveTests
{
    private readonly RuleTestKit _kit = new(new DateTimeOffset(2026, 3, 20, 14, 0, 0, TimeSpan.Zero));

    [Fact]
    public void DeletionsAndRemovalsByOneActor_AtThreshold_Fire()
    {
        var rule = new HighVolumeDestructiveEvaluator(RuleTestKit.Rule(new HighVolumeDestructiveConditions { Threshold = 20, WindowMinutes = 5 }));
        Immutable.Domain.Rules.RuleHit? hit = null;
        for (var i = 0; i < 20; i++)
        {
            hit = rule.Observe(_kit.Event(i % 2 == 0 ? "project.deleted" : "member.removed", "admin_1"));
            _kit.Clock.Advance(TimeSpan.FromSeconds(5));
            if (i < 19) Assert.Null(hit);
        }
        var context = Assert.IsType<HighVolumeDestructiveContext>(hit!.Context);
        Assert.Equal(20, context.Count);
        Assert.Equal(["member.removed", "project.deleted"], context.Actions);
        Assert.Equal(10, context.SampleEventIds.Count);
    }

    [Fact]
    public void PerActorFalse_CountsTheWholeWorkspace()
    {
        var rule = new HighVolumeDestructiveEvaluator(RuleTestKit.Rule(new HighVolumeDestructiveConditions { Threshold = 3, PerActor = false }));
        rule.Observe(_kit.Event("a.deleted", "x"));
        rule.Observe(_kit.Event("b.deleted", "y"));
        Assert.Equal("*", rule.Observe(_kit.Event("c.removed", "z"))!.GroupKey);
    }

    [Fact]
    public void NonDestructiveActions_AreIgnored()
    {
        var rule = new HighVolumeDestructiveEvaluator(RuleTestKit.Rule(new HighVolumeDestructiveConditions { Threshold = 1 }));
        Assert.Null(rule.Observe(_kit.Event("project.created", "x")));
        Assert.Null(rule.Observe(_kit.Event("deleted.project", "x")));
    }
}

public class ImpossibleTravelTests
{
    private readonly RuleTestKit _kit = new(new DateTimeOffset(2026, 3, 20, 14, 0, 0, TimeSpan.Zero));

    private ImpossibleTravelEvaluator Rule() => new(RuleTestKit.Rule(new ImpossibleTravelConditions()), []);

    [Fact]
    public void NewYorkThenSydneyAnHourLater_Fires()
    {
        var rule = Rule();
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.NewYork)));
        _kit.Clock.Advance(TimeSpan.FromHours(1));
        var hit = rule.Observe(_kit.Event(geo: RuleTestKit.Sydney));
        var context = Assert.IsType<ImpossibleTravelContext>(hit!.Context);
        Assert.InRange(context.DistanceKm, 15_950, 16_050);
        Assert.Equal(1, context.Hours, 3);
        Assert.True(context.SpeedKmh > 15_000);
        Assert.Equal(("US", "AU"), (context.From.Country, context.To.Country));
    }

    [Fact]
    public void PlausibleFlight_And_ShortHops_DoNotFire()
    {
        var rule = Rule();
        rule.Observe(_kit.Event(geo: RuleTestKit.NewYork));
        _kit.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.Boston)));      // 300 km: under min distance
        _kit.Clock.Advance(TimeSpan.FromHours(22));
        Assert.Null(rule.Observe(_kit.Event(geo: RuleTestKit.Sydney)));      // ~730 km/h
    }

    [Fact]
    public void EventsWithoutCoordinates_AreSkipped()
    {
        var rule = Rule();
        rule.Observe(_kit.Event(geo: RuleTestKit.NewYork));
        Assert.Null(rule.Observe(_kit.Event(geo: null)));
        Assert.Single(rule.DrainChanged());
    }

    [Fact]
    public void DistanceKm_IsTheGreatCircle()
    {
        // London–Paris ≈ 344 km.
        Assert.InRange(ImpossibleTravelEvaluator.DistanceKm(51.5074, -0.1278, 48.8566, 2.3522), 340, 348);
    }
}

public class CorrelationAndSpikeTests
{
    private static readonly DateTime T = new(2026, 3, 27, 7, 17, 0, DateTimeKind.Utc);

    [Fact]
    public void Correlation_AllListedRulesForOneActorWithinWindow_Fires()
    {
        var rule = RuleTestKit.Rule(new CorrelationConditions { RuleIds = ["rul_a", "rul_b"], WindowMinutes = 60 }, "rul_c");
        var a = new RaisedAlert("alt_1", "rul_a", RuleType.NewCountry, "jordan", T);
        var b = new RaisedAlert("alt_2", "rul_b", RuleType.OffHours, "jordan", T.AddMinutes(30));
        var hit = CorrelationEvaluator.Evaluate(rule, b, null, [a, b]);
        Assert.Equal(["alt_1", "alt_2"], Assert.IsType<CorrelationContext>(hit!.Context).Alerts.Select(x => x.Id));
        Assert.Equal(Immutable.Domain.Alerts.Severity.Critical, hit.Severity);
    }

    [Fact]
    public void Correlation_OutsideWindow_OrOtherActor_OrUnlistedRule_DoesNotFire()
    {
        var rule = RuleTestKit.Rule(new CorrelationConditions { RuleIds = ["rul_a", "rul_b"], WindowMinutes = 60 }, "rul_c");
        var a = new RaisedAlert("alt_1", "rul_a", RuleType.NewCountry, "jordan", T);
        Assert.Null(CorrelationEvaluator.Evaluate(rule, new RaisedAlert("alt_2", "rul_b", RuleType.OffHours, "jordan", T.AddMinutes(61)), null, [a]));
        Assert.Null(CorrelationEvaluator.Evaluate(rule, new RaisedAlert("alt_3", "rul_b", RuleType.OffHours, "sam", T), null, [a]));
        Assert.Null(CorrelationEvaluator.Evaluate(rule, new RaisedAlert("alt_4", "rul_x", RuleType.OffHours, "jordan", T), null, [a]));
    }

    [Fact]
    public void Spike_LearningUntilAWeekOfHistory_ThenFiresOnTenTimesBaseline()
    {
        var c = new IngestionSpikeConditions();
        var windowStart = T;
        Assert.Equal(SpikeState.Learning, IngestionSpike.Evaluate(c, windowStart, 5000, [120], firstEventAt: T.AddDays(-6)).State);
        Assert.Equal(SpikeState.Learning, IngestionSpike.Evaluate(c, windowStart, 5000, [120], firstEventAt: null).State);

        var normal = IngestionSpike.Evaluate(c, windowStart, 25, [120], T.AddDays(-8));
        Assert.Equal((SpikeState.Normal, 10.0), (normal.State, normal.Baseline));
        Assert.Equal(SpikeState.Spike, IngestionSpike.Evaluate(c, windowStart, 100, [120], T.AddDays(-8)).State);
        Assert.Equal(SpikeState.Normal, IngestionSpike.Evaluate(c, windowStart, 99, [0], T.AddDays(-8)).State); // under min_events
    }

    [Fact]
    public void Spike_BaselineHours_AreTheSameHourOfEarlierWeeks()
    {
        var hours = IngestionSpike.BaselineHours(new IngestionSpikeConditions { BaselineDays = 14 }, T);
        Assert.Equal([(new DateTime(2026, 3, 20, 7, 0, 0), new DateTime(2026, 3, 20, 8, 0, 0)), (new DateTime(2026, 3, 13, 7, 0, 0), new DateTime(2026, 3, 13, 8, 0, 0))], hours);
    }

    [Theory]
    [InlineData("auth.*", "auth.login", true)]
    [InlineData("auth.*", "auth", false)]
    [InlineData("*.deleted", "project.deleted", true)]
    [InlineData("*.deleted", "project.deleted.undo", false)]
    [InlineData("auth.login", "auth.login_failed", false)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    public void ActionPattern_Globs(string pattern, string action, bool matches) =>
        Assert.Equal(matches, ActionPattern.Matches(pattern, action));
}
