using Immutable.Domain.Rules;

namespace Immutable.Tests.Domain;

/// <summary>The one grammar of action patterns (docs/detection.md), used by rules, the forms and the event schema.</summary>
public class ActionPatternGrammarTests
{
    [Theory]
    [InlineData("auth.login")]
    [InlineData("project.forceDeleted")] // camelCase segments are actions (the ingest contract)
    [InlineData("auth.*")]
    [InlineData("*.deleted")]
    [InlineData("*")]
    [InlineData("auth.login_*")]
    [InlineData("a.*.c")]
    [InlineData("tenant:42.doc-x.read")]
    public void Problem_OfAValidPattern_IsNull(string pattern) => Assert.Null(ActionPattern.Problem(pattern));

    [Theory]
    [InlineData("auth..login", "empty segment")]
    [InlineData(".auth", "empty segment")]
    [InlineData("auth.", "empty segment")]
    [InlineData("***", "'**'")]
    [InlineData("auth.**", "'**'")]
    [InlineData("a b", "a space")]
    [InlineData("auth/login", "'/'")]
    [InlineData("", "must not be empty")]
    public void Problem_OfAMalformedPattern_SaysWhatIsWrongAndWhatIsAllowed(string pattern, string expected)
    {
        var problem = ActionPattern.Problem(pattern);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("dot-separated segments", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_OfAPatternLongerThan256_IsRefused()
    {
        Assert.Null(ActionPattern.Problem(new string('a', 256)));
        Assert.Contains("longer than 256", ActionPattern.Problem(new string('a', 257)), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryValidAction_IsAValidPattern_SoAnExactActionAlwaysWorks()
    {
        foreach (var action in new[] { "auth.login", "billing.invoice_paid", "x", "A.B-C:D" })
        {
            Assert.Null(ActionPattern.Problem(action));
            Assert.True(ActionPattern.Matches(action, action));
        }
    }
}
