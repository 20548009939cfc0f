using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

public class LabelMatcherTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["alertname"] = "HighCPU", ["service"] = "checkout", ["env"] = "" };

    private static LabelMatcher Parse(string text)
    {
        Assert.True(LabelMatcher.TryParse(text, out var matcher, out var error), error);
        return matcher!;
    }

    [Theory]
    [InlineData("alertname = \"HighCPU\"", true)]
    [InlineData("alertname=HighCPU", true)]
    [InlineData("alertname = \"highcpu\"", false)]
    [InlineData("alertname != \"HighCPU\"", false)]
    [InlineData("alertname != \"Other\"", true)]
    [InlineData("service =~ \"check.*|cart\"", true)]
    [InlineData("service =~ \"check\"", false)]
    [InlineData("service !~ \"cart|payments\"", true)]
    [InlineData("missing = \"\"", true)]
    [InlineData("missing != \"\"", false)]
    [InlineData("missing =~ \".*\"", true)]
    [InlineData("env = \"\"", true)]
    public void Matches_like_alertmanager(string matcher, bool expected)
    {
        Assert.Equal(expected, Parse(matcher).Matches(Labels));
    }

    [Fact]
    public void Quoted_values_may_contain_escapes_and_operators()
    {
        var matcher = Parse("summary = \"a \\\"b\\\" = c\"");
        Assert.Equal("a \"b\" = c", matcher.Value);
        Assert.True(matcher.Matches(new Dictionary<string, string> { ["summary"] = "a \"b\" = c" }));
    }

    [Theory]
    [InlineData("alertname", "is not a matcher")]
    [InlineData("1abc = x", "is not a matcher")]
    [InlineData("a == \"b\"", "'==' is not a matcher operator; use = for equality \\(Alertmanager matcher syntax\\)")]
    [InlineData("a !== \"b\"", "'!==' is not a matcher operator; use != for inequality")]
    [InlineData("a ~= \"b.*\"", "'~=' is not a matcher operator; use =~ for a regular-expression match")]
    [InlineData("a =! \"b\"", "'=!' is not a matcher operator; use !~")]
    [InlineData("a <> \"b\"", "'<>' is not a matcher operator; the operators are =, !=, =~ and !~")]
    [InlineData("a = 'b'", "value 'b' is in single quotes; matchers quote with double quotes, e.g. name = \"b\"")]
    [InlineData("a = b\"c", "quote the value")]
    [InlineData("a = \"unterminated", "no closing quote")]
    [InlineData("a =~ \"(\"", "invalid regular expression: Invalid pattern '\\(' at offset 1")]
    [InlineData("a !~ \"x[\"", "invalid regular expression: Invalid pattern 'x\\[' at offset 2")]
    public void Bad_matchers_are_explained(string text, string expected)
    {
        Assert.False(LabelMatcher.TryParse(text, out _, out var error));
        Assert.Matches(expected, error);
    }
}
