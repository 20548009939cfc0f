using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Tests.Dotnet;

public sealed class FrameTallyTests
{
    [Fact]
    public void Exclusive_goes_to_the_innermost_frame_and_inclusive_to_every_frame_on_the_stack()
    {
        var tally = new FrameTally();
        tally.Add(["m!Hot()", "m!Work()", "m!Main()"], 6);
        tally.Add(["m!Parse()", "m!Work()", "m!Main()"], 3);
        tally.Add(["m!Main()"], 1);

        Assert.Equal(10, tally.SampleCount);
        Assert.Equal(
            [new FrameStat("m!Hot()", 6, 60), new FrameStat("m!Parse()", 3, 30), new FrameStat("m!Main()", 1, 10)],
            tally.TopExclusive(15));
        Assert.Equal(
            [new FrameStat("m!Main()", 10, 100), new FrameStat("m!Work()", 9, 90), new FrameStat("m!Hot()", 6, 60), new FrameStat("m!Parse()", 3, 30)],
            tally.TopInclusive(15));
    }

    [Fact]
    public void Recursion_counts_once_per_sample_in_inclusive()
    {
        var tally = new FrameTally();
        tally.Add(["m!Fib()", "m!Fib()", "m!Fib()", "m!Main()"], 4);

        Assert.Equal(new FrameStat("m!Fib()", 4, 100), tally.TopInclusive(1).Single());
    }

    [Fact]
    public void Top_is_cut_to_the_count_ties_break_by_name_and_percent_rounds_to_two_places()
    {
        var tally = new FrameTally();
        tally.Add(["m!B()"], 1);
        tally.Add(["m!A()"], 1);
        tally.Add(["m!C()"], 1);

        Assert.Equal([new FrameStat("m!A()", 1, 33.33), new FrameStat("m!B()", 1, 33.33)], tally.TopExclusive(2));
    }

    [Fact]
    public void Samples_without_frames_count_toward_the_total_only()
    {
        var tally = new FrameTally();
        tally.Add(["m!A()"], 1);
        tally.Add([], 3);

        Assert.Equal(4, tally.SampleCount);
        Assert.Equal(new FrameStat("m!A()", 1, 25), tally.TopExclusive(15).Single());
    }

    [Fact]
    public void An_empty_tally_ranks_nothing()
    {
        var tally = new FrameTally();

        Assert.Empty(tally.TopExclusive(15));
        Assert.Empty(tally.TopInclusive(15));
    }
}
