using AutoCapture.Core.Summaries;

namespace AutoCapture.Diffs;

/// <summary>
/// The changes of a diff in words, most telling first: goroutine and thread groups that grew, then the functions that
/// took more of the CPU, the heap types and allocation sites that grew, the other profiles, and counters out of range.
/// </summary>
public static class DiffHeadlines
{
    public const int MaxHeadlines = 8;

    // Below these a change is noise, not news: a share moving by sampling chance, a goroutine or two coming and going.
    private const double MinPoints = 1.0;
    private const int MinGoroutines = 5;
    private const int MinThreads = 2;

    private static readonly string[] ProfileOrder = ["cpu", "heap", "allocs", "block", "mutex", "threadcreate"];

    public static IReadOnlyList<string> For(CaptureDiff diff)
    {
        var lines = new List<string>();
        lines.AddRange(Groups(diff.Goroutines, "goroutines", MinGoroutines));
        lines.AddRange(Groups(diff.Threads, "threads", MinThreads));
        if (diff.Profiles?.GetValueOrDefault("cpu") is { } cpu)
        {
            lines.AddRange(Profile("cpu", cpu));
        }

        if (diff.HeapTypes is { } heap)
        {
            lines.AddRange(heap.ByBytes.Take(2).Select(t =>
                $"heap: {t.Type} +{Units.Bytes(t.Bytes - t.BaselineBytes)} ({Units.Bytes(t.BaselineBytes)} → {Units.Bytes(t.Bytes)}), {Units.Signed(t.Objects - t.BaselineObjects)} objects"));
        }

        foreach (var kind in ProfileOrder.Skip(1))
        {
            if (diff.Profiles?.GetValueOrDefault(kind) is { } profile)
            {
                lines.AddRange(Profile(kind, profile));
            }
        }

        if (diff.Counters is { } counters)
        {
            lines.AddRange(counters.Beyond.Take(2).Select(c =>
                $"counter {c.DisplayName}: {Units.Format(c.Value, CounterUnit(c.Unit))} (normal {Units.Format(c.NormalLow, CounterUnit(c.Unit))} to {Units.Format(c.NormalHigh, CounterUnit(c.Unit))})"));
        }

        return lines.Take(MaxHeadlines).ToList();
    }

    private static IEnumerable<string> Groups(GroupsDiff? groups, string what, int minimum) =>
        groups is null
            ? []
            : groups.Changes.Where(c => c.After - c.Before >= minimum).Take(2).Select(c =>
                $"{Units.Signed(c.After - c.Before)} {what} [{c.State}] in {c.Where} ({Units.Count(c.Before)} → {Units.Count(c.After)}{(c.CreatedBy is { } creator ? $", created by {creator}" : string.Empty)})");

    private static IEnumerable<string> Profile(string kind, ProfileDiff profile) => profile.Increased
        .Where(f => f.Delta >= MinPoints)
        .Take(kind == "cpu" ? 2 : 1)
        .Select(f =>
            $"{kind}: {f.Function} {f.BaselineFlatPercent:0.0}% → {f.FlatPercent:0.0}% of {profile.SampleType} (+{f.Delta:0.0} pts; {Units.Format(f.BaselineFlat, profile.Unit)} → {Units.Format(f.Flat, profile.Unit)})");

    // .NET counters say "MB" or "%"; bytes from the gops agent are plain bytes.
    private static string CounterUnit(string unit) => unit == "bytes" ? "bytes" : unit.Length == 0 ? "count" : unit;
}
