using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

public class DurationsTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("500ms", 0.5)]
    public void Parses_prometheus_durations(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(seconds, duration.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("1.5h")]
    [InlineData("99999999999999s")]
    public void Refuses_everything_else(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }
}
