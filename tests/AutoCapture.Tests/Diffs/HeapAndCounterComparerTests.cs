using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Profiles.Histograms;

namespace AutoCapture.Tests.Diffs;

public sealed class HeapAndCounterComparerTests
{
    [Fact]
    public void The_type_that_accumulates_tops_both_lists_and_a_big_unchanged_type_does_not_appear()
    {
        var baseline = TypeHistogram.Create([new TypeValue("App.Cache", 50_000_000, 10_000), new TypeValue("System.String", 1_000_000, 20_000)]);
        var incident = TypeHistogram.Create([new TypeValue("App.Cache", 50_000_000, 10_000), new TypeValue("System.String", 1_200_000, 24_000), new TypeValue("App.Session", 20_000_000, 20_000)]);

        var diff = HeapTypeComparer.Compare(baseline, incident);

        Assert.Equal(new[] { "App.Session", "System.String" }, diff.ByBytes.Select(t => t.Type));
        Assert.Equal(new[] { "App.Session", "System.String" }, diff.ByObjects.Select(t => t.Type));
        Assert.Equal((0L, 20_000_000L, 0L, 20_000L), (diff.ByBytes[0].BaselineBytes, diff.ByBytes[0].Bytes, diff.ByBytes[0].BaselineObjects, diff.ByBytes[0].Objects));
        Assert.Equal((51_000_000L, 71_200_000L), (diff.BaselineBytes, diff.Bytes));
        Assert.StartsWith("heap: App.Session +19.1 MiB (0 B → 19.1 MiB), +20,000 objects", DiffHeadlines.For(new CaptureDiff { BaselineId = "b", Basis = "peer", BaselineTarget = "t", HeapTypes = diff })[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Counters_outside_the_baselines_widened_range_are_reported_furthest_first()
    {
        static CounterStat Counter(string name, double min, double max, double last) => new(name, name, "MB", last, min, max, 5);
        var baseline = new RuntimeCountersSummary(5, [Counter("gc-heap-size", 10, 12, 11), Counter("cpu-usage", 5, 15, 10), Counter("exception-count", 0, 0, 0), Counter("num-gc", 3, 3, 3)]);
        var incident = new RuntimeCountersSummary(5, [Counter("gc-heap-size", 60, 80, 80), Counter("cpu-usage", 4, 20, 18), Counter("exception-count", 0, 2, 2), Counter("num-gc", 90, 90, 90), Counter("new-counter", 1, 1, 1)]);

        var diff = CounterComparer.Compare(baseline, incident);

        // cpu-usage 4–20 stays within 5–15 widened by half its spread (0–20); num-gc only ever grows; new-counter has no baseline.
        Assert.Equal(new[] { "exception-count", "gc-heap-size" }, diff.Beyond.Select(c => c.Name));
        Assert.Equal(3, diff.Compared);
        var heap = diff.Beyond[1];
        Assert.Equal((8.8, 13.2, 80.0, 11.0, 80.0), (heap.NormalLow, heap.NormalHigh, heap.Value, heap.BaselineLast, heap.Last));
    }
}
