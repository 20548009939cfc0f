using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// Groups sampled threads by what they were started to do: the outermost frame of their stack that is not the
/// runtime's own thread or thread-pool plumbing (Thread.StartCallback, the pool's worker loop, ExecutionContext,
/// task dispatch). Two threads started with the same delegate, or pool threads running the same work item, share a
/// group; the group's hottest frames tell what that kind of thread spends its CPU on.
/// </summary>
internal sealed class ThreadGroups
{
    public const int DefaultTopGroups = 5;
    public const int FramesPerGroup = 3;

    internal const string ThreadingNamespace = "System.Private.CoreLib!System.Threading.";

    private readonly Dictionary<string, (HashSet<long> Threads, FrameTally Tally)> groups = new(StringComparer.Ordinal);

    /// <param name="onCpu">Whether the sample was running managed code; only those count towards the group's samples.</param>
    public void Add(ThreadSample sample, long samples, bool onCpu)
    {
        var name = GroupOf(sample.Frames);
        if (!groups.TryGetValue(name, out var group))
        {
            group = ([], new FrameTally());
            groups.Add(name, group);
        }

        group.Threads.Add(sample.ThreadId);
        if (onCpu)
        {
            group.Tally.Add(sample.Frames, samples);
        }
    }

    /// <param name="totalOnCpu">All on-CPU samples of the trace, for each group's share.</param>
    public IReadOnlyList<ThreadGroupStat> Top(long totalOnCpu, int count = DefaultTopGroups) => groups
        .Where(pair => pair.Value.Tally.SampleCount > 0)
        .OrderByDescending(pair => pair.Value.Tally.SampleCount)
        .ThenBy(pair => pair.Key, StringComparer.Ordinal)
        .Take(count)
        .Select(pair => new ThreadGroupStat(
            pair.Key,
            pair.Value.Threads.Count,
            pair.Value.Tally.SampleCount,
            totalOnCpu == 0 ? 0 : Math.Round(100.0 * pair.Value.Tally.SampleCount / totalOnCpu, 2),
            pair.Value.Tally.TopExclusive(FramesPerGroup)))
        .ToList();

    /// <param name="frames">Innermost first.</param>
    internal static string GroupOf(IReadOnlyList<string> frames)
    {
        for (var i = frames.Count - 1; i >= 0; i--)
        {
            if (!frames[i].StartsWith(ThreadingNamespace, StringComparison.Ordinal))
            {
                return frames[i];
            }
        }

        return frames.Count > 0 ? frames[^1] : "(no managed frames)";
    }
}
