namespace AutoCapture.Core.Summaries;

public static class SummaryMerge
{
    /// <summary>Combines per-kind summaries; each provider fills only its own section.</summary>
    public static CaptureSummary Merge(this CaptureSummary left, CaptureSummary right) => new()
    {
        Cpu = right.Cpu ?? left.Cpu,
        Stacks = right.Stacks ?? left.Stacks,
        Heap = right.Heap ?? left.Heap,
        Goroutines = right.Goroutines ?? left.Goroutines,
        Counters = right.Counters ?? left.Counters,
        Dump = right.Dump ?? left.Dump,
        Profiles = MergeProfiles(left.Profiles, right.Profiles),
        GoLibraries = left.GoLibraries is null || right.GoLibraries is null
            ? right.GoLibraries ?? left.GoLibraries
            : [.. left.GoLibraries.Union(right.GoLibraries, StringComparer.Ordinal).Order(StringComparer.Ordinal)],
        GoMainModule = right.GoMainModule ?? left.GoMainModule,
    };

    private static Dictionary<string, PprofSummary>? MergeProfiles(
        IReadOnlyDictionary<string, PprofSummary>? left, IReadOnlyDictionary<string, PprofSummary>? right)
    {
        if (left is null && right is null)
        {
            return null;
        }

        var merged = new Dictionary<string, PprofSummary>(StringComparer.Ordinal);
        foreach (var (kind, profile) in (left ?? new Dictionary<string, PprofSummary>()).Concat(right ?? new Dictionary<string, PprofSummary>()))
        {
            merged[kind] = profile;
        }

        return merged;
    }
}
