using Bunit;
using Immutable.Tests.TestSupport;
using Immutable.Web.Components.Pages.Rules;
using MudBlazor;

namespace Immutable.Tests.Components;

public sealed class RuleFormTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = DashboardComponentContext.Create();

    private IRenderedComponent<RuleForm> Render(RuleFormModel model, bool isNew = true)
    {
        _ctx.Render<MudPopoverProvider>();
        return _ctx.Render<RuleForm>(p => p.Add(f => f.Model, model).Add(f => f.IsNew, isNew));
    }

    [Fact]
    public void OffHours_help_reads_22_to_6_as_wrapping_midnight_in_the_chosen_zone()
    {
        var cut = Render(new RuleFormModel { Name = "Night logins", RuleType = "off_hours", StartHour = 22, EndHour = 6, TimeZone = "America/New_York" });
        var help = cut.Find("[data-testid=hours-help]").TextContent;
        Assert.Contains("22 → 06 means 22:00–05:59 in America/New_York", help);
        Assert.Contains("past midnight", help);
    }

    [Theory]
    [InlineData(9, 17, "09:00–16:59 in UTC, the same day")]
    [InlineData(23, 0, "23:00–23:59 in UTC, wrapping past midnight")]
    [InlineData(0, 0, "no hours are off-hours")]
    public void OffHours_help_follows_the_hours(int start, int end, string expected) =>
        Assert.Contains(expected, RuleFormModel.OffHoursHelp(start, end, "UTC"));

    [Fact]
    public void Changing_the_start_hour_updates_the_help_as_you_type()
    {
        var model = new RuleFormModel { Name = "Office", RuleType = "off_hours", StartHour = 22, EndHour = 6 };
        var cut = Render(model);
        var start = cut.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "From hour");
        start.Find("input").Input("9");
        cut.WaitForAssertion(() => Assert.Contains("09 → 06 means 09:00–05:59", cut.Find("[data-testid=hours-help]").TextContent));
        Assert.Equal(9, model.StartHour);
    }

    [Fact]
    public void A_new_form_does_not_show_errors_before_the_user_types()
    {
        var cut = Render(new RuleFormModel());
        Assert.Empty(cut.FindAll(".mud-input-error"));
    }

    [Fact]
    public void Invalid_values_show_the_APIs_own_messages_inline_on_the_field()
    {
        var model = new RuleFormModel { Name = "Brute force", RuleType = "repeated_action", Threshold = 5 };
        var cut = Render(model);
        var threshold = cut.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "Threshold (events)");
        threshold.Find("input").Input("0");

        var expected = model.Validate()["conditions.threshold"];
        Assert.False(string.IsNullOrWhiteSpace(expected));
        cut.WaitForAssertion(() => Assert.Contains(expected, threshold.Markup));
        Assert.True(HasError(threshold));
        Assert.False(cut.Instance.IsValid);

        // Clearing the name shows the name's message too; fixing both makes the form valid again.
        var name = cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name");
        name.Find("input").Input("");
        cut.WaitForAssertion(() => Assert.True(HasError(name)));
        name.Find("input").Input("Brute force");
        threshold.Find("input").Input("5");
        cut.WaitForAssertion(() => Assert.True(cut.Instance.IsValid));
        Assert.False(HasError(threshold));
    }

    [Fact]
    public void Server_violations_are_shown_on_their_fields()
    {
        _ctx.Render<MudPopoverProvider>();
        var cut = _ctx.Render<RuleForm>(p => p
            .Add(f => f.Model, new RuleFormModel { Name = "Combo", RuleType = "correlation", CorrelatedRuleIds = ["rul_gone", "rul_also_gone"] })
            .Add(f => f.ServerViolations, new Dictionary<string, string> { ["conditions.rule_ids"] = "names a rule that does not exist: rul_gone" }));
        Assert.Contains("names a rule that does not exist: rul_gone", cut.Markup);
    }

    [Fact]
    public void Only_the_chosen_types_conditions_are_sent()
    {
        var json = new RuleFormModel { Name = "x", RuleType = "impossible_travel", ActionPatterns = "auth.login, sso.*", Threshold = 99 }.ToJson();
        var conditions = json["conditions"]!.AsObject();
        Assert.Equal(["action_patterns", "max_speed_kmh", "min_distance_km"], conditions.Select(p => p.Key).Order());
        Assert.Equal(["auth.login", "sso.*"], conditions["action_patterns"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public void Hours_outside_0_to_23_are_kept_and_refused_with_a_message_not_clamped()
    {
        var model = new RuleFormModel { Name = "Nights", RuleType = "off_hours" };
        var cut = Render(model);
        var start = cut.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == "From hour");
        start.Find("input").Input("25");
        cut.WaitForAssertion(() => Assert.Contains("must be an integer from 0 to 23", start.Markup));
        Assert.Equal(25, model.StartHour);
        Assert.False(cut.Instance.IsValid);
    }

    [Fact]
    public void An_unknown_time_zone_is_refused_with_a_message_not_saved_as_UTC()
    {
        var model = new RuleFormModel { Name = "Nights", RuleType = "off_hours" };
        var cut = Render(model);
        var zone = cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Time zone");
        zone.Find("input").Input("America/New_Yrok");
        cut.WaitForAssertion(() => Assert.Equal("America/New_Yrok", model.TimeZone));
        cut.WaitForAssertion(() => Assert.Contains("not a known IANA time zone", zone.Markup));
        Assert.False(cut.Instance.IsValid);
        Assert.Contains("conditions.timezone", model.Validate().Keys);
    }

    [Theory]
    [InlineData("Threshold (events)", "0", "conditions.threshold", "from 1 to")]
    [InlineData("Cooldown (minutes)", "99999", "cooldown_minutes", "from 0 to 10080")]
    public void Out_of_range_numbers_show_what_is_allowed_next_to_the_field(string label, string value, string field, string expected)
    {
        var model = new RuleFormModel { Name = "Brute force", RuleType = "repeated_action" };
        var cut = Render(model);
        var input = cut.FindComponents<MudNumericField<int>>().Single(c => c.Instance.Label == label);
        input.Find("input").Input(value);
        cut.WaitForAssertion(() => Assert.Contains(expected, input.Markup));
        Assert.Contains(field, model.Validate().Keys);
    }

    [Fact]
    public void A_300_character_name_shows_the_limit_next_to_the_name()
    {
        var model = new RuleFormModel { Name = "x", RuleType = "new_country" };
        var cut = Render(model);
        var name = cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name");
        name.Find("input").Input(new string('n', 300));
        cut.WaitForAssertion(() => Assert.Contains("must be 1 to 200 characters", name.Markup));
        Assert.Equal(300, model.Name.Length); // kept as typed, not cut
    }

    [Fact]
    public void Changing_the_type_does_not_flag_the_untouched_name()
    {
        var model = RuleFormModel.New();
        var cut = Render(model);
        var type = cut.FindComponent<MudSelect<string>>();
        cut.InvokeAsync(() => type.Instance.SelectOption("repeated_action"));
        cut.WaitForAssertion(() => Assert.Equal("repeated_action", model.RuleType));
        var name = cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name");
        Assert.False(HasError(name));
        Assert.Contains("name", model.Validate().Keys); // still invalid: saving would say so

        cut.InvokeAsync(cut.Instance.RevealAll);
        cut.WaitForAssertion(() => Assert.True(HasError(cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Name"))));
    }

    [Fact]
    public void A_malformed_action_pattern_is_named_in_the_message()
    {
        var model = new RuleFormModel { Name = "Logins", RuleType = "new_country" };
        var cut = Render(model);
        var patterns = cut.FindComponents<MudTextField<string>>().Single(c => c.Instance.Label == "Action patterns");
        patterns.Find("input").Input("auth.login, auth..login");
        cut.WaitForAssertion(() => Assert.Contains("“auth..login”: has an empty segment", patterns.Markup));
        patterns.Find("input").Input("a b");
        cut.WaitForAssertion(() => Assert.Contains("a space", patterns.Markup));
        patterns.Find("input").Input("*.deleted, auth.*");
        cut.WaitForAssertion(() => Assert.False(HasError(patterns)));
    }

    private static bool HasError<T>(IRenderedComponent<T> field) where T : Microsoft.AspNetCore.Components.IComponent => field.Markup.Contains("mud-input-error", StringComparison.Ordinal);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();
}
