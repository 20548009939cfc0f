using AutoCapture.Core.Summaries;

namespace AutoCapture.Tests.Go;

public sealed class SummaryMergeTests
{
    private static PprofSummary Profile(string type) => new(type, "count", 1, 1, 0, 0, "", "", [], [], []);

    [Fact]
    public void Per_kind_sections_and_profiles_from_each_provider_are_kept()
    {
        var goroutines = new GoroutineSummary(1, 1, null, []);
        var heap = new HeapSummary("function", 10, 1, []);
        var left = new CaptureSummary { Goroutines = goroutines, Profiles = new Dictionary<string, PprofSummary> { ["goroutines"] = Profile("goroutine") } };
        var right = new CaptureSummary { Heap = heap, Profiles = new Dictionary<string, PprofSummary> { ["heap"] = Profile("inuse_space") } };

        var merged = left.Merge(right);

        Assert.Same(goroutines, merged.Goroutines);
        Assert.Same(heap, merged.Heap);
        Assert.Equal(new[] { "goroutines", "heap" }, merged.Profiles!.Keys.Order());
        Assert.Null(new CaptureSummary().Merge(new CaptureSummary()).Profiles);
    }
}
