using AutoCapture.Cli;

namespace AutoCapture.Tests.Cli;

public class WordsTests
{
    [Theory]
    [InlineData(0, "0 rules")]
    [InlineData(1, "1 rule")]
    [InlineData(2, "2 rules")]
    public void Counts_read_as_english(int count, string expected) => Assert.Equal(expected, Words.Count(count, "rule"));

    [Theory]
    [InlineData(-0.04, "±0.0")]
    [InlineData(0.04, "±0.0")]
    [InlineData(0.0, "±0.0")]
    [InlineData(-3.26, "−3.3")]
    [InlineData(12.5, "+12.5")]
    public void Point_changes_have_one_sign_and_none_when_they_round_to_nothing(double delta, string expected) =>
        Assert.Equal(expected, Words.Points(delta));
}
