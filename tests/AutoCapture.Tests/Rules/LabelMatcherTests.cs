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
    [InlineData("a == b", "quote the value")]
    [InlineData("a = b\"c", "quote the value")]
    [InlineData("a = \"unterminated", "no closing quote")]
    [InlineData("a =~ \"(\"", "invalid regular expression")]
    public void Bad_matchers_are_explained(string text, string expected)
    {
        Assert.False(LabelMatcher.TryParse(text, out _, out var error));
        Assert.Matches(expected, error);
    }
}
