using AutoCapture.Core.Summaries;

namespace AutoCapture.Profiles.Goroutines;

/// <summary>
/// Groups goroutines that are the same story told many times: the same state, the same stack (functions and lines,
/// arguments ignored) and the same creator. A leak shows up as one group with a large count and a long wait.
/// </summary>
public static class GoroutineGrouper
{
    public const int DefaultTopGroups = 10;
    public const int FramesPerGroup = 12;

    public static GoroutineSummary Summarize(IReadOnlyList<Goroutine> goroutines, int topGroups = DefaultTopGroups)
    {
        var groups = new Dictionary<string, List<Goroutine>>(StringComparer.Ordinal);
        foreach (var goroutine in goroutines)
        {
            var key = Key(goroutine);
            if (!groups.TryGetValue(key, out var members))
            {
                members = [];
                groups.Add(key, members);
            }

            members.Add(goroutine);
        }

        var ranked = groups.Values
            .OrderByDescending(members => members.Count)
            .ThenByDescending(members => members.Max(g => g.WaitMinutes ?? -1))
            .ThenBy(members => members[0].Id)
            .Take(topGroups)
            .Select(ToGroup)
            .ToList();
        var longestWait = goroutines.Max(g => g.WaitMinutes);
        return new GoroutineSummary(goroutines.Count, groups.Count, longestWait, ranked);
    }

    private static string Key(Goroutine goroutine)
    {
        var builder = new System.Text.StringBuilder(256);
        builder.Append(goroutine.State).Append('\n').Append(goroutine.LockedToThread ? '1' : '0').Append(goroutine.FramesElided ? '1' : '0');
        foreach (var frame in goroutine.Frames)
        {
            builder.Append('\n').Append(frame.Function).Append(' ').Append(frame.Location);
        }

        builder.Append("\ncreated by ").Append(goroutine.CreatedBy?.Function).Append(' ').Append(goroutine.CreatedBy?.Location);
        return builder.ToString();
    }

    private static GoroutineGroup ToGroup(List<Goroutine> members)
    {
        var first = members[0];
        var waits = members.Where(g => g.WaitMinutes is not null).Select(g => g.WaitMinutes!.Value).ToList();
        var frames = first.Frames.Take(FramesPerGroup).Select(f => f.Function).ToList();
        if (first.FramesElided || first.Frames.Count > FramesPerGroup)
        {
            frames.Add("…");
        }

        return new GoroutineGroup(
            members.Count,
            first.State,
            waits.Count == 0 ? null : waits.Min(),
            waits.Count == 0 ? null : waits.Max(),
            frames,
            first.CreatedBy?.Function,
            first.LockedToThread);
    }
}
