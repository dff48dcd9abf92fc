using System.Text.Json;
using Immutable.Domain.Chain;

namespace Immutable.Tests.Domain;

public class CanonicalJsonTests
{
    private static string Canon(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return CanonicalJson.Canonicalize(doc.RootElement);
    }

    [Fact]
    public void Canonicalize_NestedObjects_SortsKeysOrdinallyAndDropsWhitespace() =>
        Assert.Equal("""{"B":1,"a":{"x":null,"y":[true,false]},"é":"e"}""",
            Canon("""{ "é": "e", "a": { "y": [ true, false ], "x": null }, "B": 1 }"""));

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("100", "100")]
    [InlineData("1.5", "1.5")]
    [InlineData("-12.75", "-12.75")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("4.5e-10", "4.5e-10")]
    [InlineData("51.5142", "51.5142")]
    public void FormatNumber_FollowsEcmaScriptShortestForm(string input, string expected) =>
        Assert.Equal(expected, Canon(input));

    [Theory]
    [InlineData("9007199254740992", "9007199254740992")]
    [InlineData("9007199254740993", "9007199254740993")]
    [InlineData("-9007199254740993", "-9007199254740993")]
    [InlineData("12345678901234567890123", "12345678901234567890123")]
    [InlineData("-98765432109876543210987", "-98765432109876543210987")]
    [InlineData("12345678901234567890123.0", "1.2345678901234568e+22")]
    [InlineData("1.2345678901234567890123e22", "1.2345678901234568e+22")]
    [InlineData("1e22", "1e+22")]
    public void Canonicalize_IntegersBeyond2Pow53_KeepTheirDigits_OtherNumbersAsDoubles(string input, string expected)
    {
        Assert.Equal(expected, Canon(input));
        Assert.Equal(expected, Canon(expected));
    }

    [Fact]
    public void Canonicalize_Strings_EscapesOnlyWhatJsonRequires() =>
        Assert.Equal("\"a\\\"b\\\\c\\n\\u0001<script>€\"", Canon("\"a\\\"b\\\\c\\n\\u0001\\u003cscript>\\u20ac\""));
}
