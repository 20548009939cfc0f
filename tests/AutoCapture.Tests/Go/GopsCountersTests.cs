using AutoCapture.Collector.Go;

namespace AutoCapture.Tests.Go;

public sealed class GopsCountersTests
{
    [Fact]
    public void Reads_the_agents_memstats_and_stats_in_both_its_byte_formats()
    {
        var text = """
            alloc: 22.89MB (24005552 bytes)
            total-alloc: 1234 bytes
            mallocs: 23141725
            next-gc: when heap-alloc >= 4.00MB (4194304 bytes)
            gc-pause-total: 1.2ms
            enable-gc: true
            goroutines: 12
            OS threads: 9
            """;

        var counters = GoAgentCountersCaptureProvider.Parse(text).ToDictionary(c => c.Name, c => (c.Last, c.Unit));

        Assert.Equal((24005552.0, "bytes"), counters["alloc"]);
        Assert.Equal((1234.0, "bytes"), counters["total-alloc"]);
        Assert.Equal((23141725.0, ""), counters["mallocs"]);
        Assert.Equal((4194304.0, "bytes"), counters["next-gc"]);
        Assert.Equal((12.0, ""), counters["goroutines"]);
        Assert.Equal((9.0, ""), counters["os-threads"]);
        Assert.False(counters.ContainsKey("enable-gc"));
        Assert.False(counters.ContainsKey("gc-pause-total"));
    }
}
