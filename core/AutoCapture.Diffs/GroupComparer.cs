using AutoCapture.Core.Summaries;

namespace AutoCapture.Diffs;

/// <summary>A set of goroutines or threads that tell the same story: same state, same stack, same creator.</summary>
/// <param name="Key">What makes two of them the same; equal keys on both sides are the same group.</param>
/// <param name="Frames">Innermost first.</param>
public sealed record StackGroup(string Key, int Count, string State, IReadOnlyList<string> Frames, string? CreatedBy);

/// <summary>
/// Matches the groups of a baseline and an incident and reports those whose count changed: appeared (none before),
/// vanished (none now), grew or shrank. The largest change in count comes first.
/// </summary>
public static class GroupComparer
{
    public const int DefaultTop = 20;
    private const int FramesShown = 12;

    /// <param name="ownCode">Whether a frame is the program's own (not the runtime's): the first such frame says where.</param>
    public static GroupsDiff Compare(IReadOnlyList<StackGroup> baseline, IReadOnlyList<StackGroup> incident, Func<string, bool> ownCode, int top = DefaultTop)
    {
        var before = baseline.ToDictionary(g => g.Key, StringComparer.Ordinal);
        var after = incident.ToDictionary(g => g.Key, StringComparer.Ordinal);
        var changes = new List<(int Delta, GroupDelta Group)>();
        var unchanged = 0;
        foreach (var key in before.Keys.Union(after.Keys, StringComparer.Ordinal))
        {
            var b = before.GetValueOrDefault(key);
            var a = after.GetValueOrDefault(key);
            var (countBefore, countAfter) = (b?.Count ?? 0, a?.Count ?? 0);
            if (countBefore == countAfter)
            {
                unchanged++;
                continue;
            }

            var group = (a ?? b)!;
            var change = countBefore == 0 ? "appeared" : countAfter == 0 ? "vanished" : countAfter > countBefore ? "grew" : "shrank";
            var where = group.Frames.FirstOrDefault(ownCode) ?? (group.Frames.Count > 0 ? group.Frames[0] : "?");
            changes.Add((countAfter - countBefore, new GroupDelta(change, countBefore, countAfter, group.State, where, group.Frames.Take(FramesShown).ToList(), group.CreatedBy)));
        }

        return new GroupsDiff(
            baseline.Sum(g => g.Count),
            incident.Sum(g => g.Count),
            unchanged,
            changes
                .OrderByDescending(c => Math.Abs(c.Delta))
                .ThenByDescending(c => c.Delta)
                .ThenBy(c => c.Group.Where, StringComparer.Ordinal)
                .Take(top)
                .Select(c => c.Group)
                .ToList());
    }

    /// <summary>Merges groups with equal keys (a dump read in parts, or keys coarser than the grouping that made them).</summary>
    public static IReadOnlyList<StackGroup> Merge(IEnumerable<StackGroup> groups) => groups
        .GroupBy(g => g.Key, StringComparer.Ordinal)
        .Select(same => same.First() with { Count = same.Sum(g => g.Count) })
        .ToList();
}
