using System.Text;
using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Goroutines;

namespace AutoCapture.Diffs;

/// <summary>Builds the groups a diff compares from a Go goroutine dump or .NET thread stacks.</summary>
public static class StackGroups
{
    /// <summary>.NET marks a thread caught outside managed code (blocked, or in native code) with this first frame.</summary>
    public const string NativeCodeFrame = "[native code]";

    /// <summary>
    /// Goroutines keyed by state, the functions of their stack and their creator. Lines and wait times are left out on
    /// purpose: a redeploy shifts line numbers, and waits grow by the minute, but neither makes a different story;
    /// running and runnable count as one state for the same reason.
    /// </summary>
    public static IReadOnlyList<StackGroup> FromGoroutines(IEnumerable<Goroutine> goroutines)
    {
        var groups = new Dictionary<string, (int Count, Goroutine First)>(StringComparer.Ordinal);
        var key = new StringBuilder(256);
        foreach (var goroutine in goroutines)
        {
            key.Clear().Append(State(goroutine));
            foreach (var frame in goroutine.Frames)
            {
                key.Append('\n').Append(frame.Function);
            }

            key.Append("\ncreated by ").Append(goroutine.CreatedBy?.Function);
            var text = key.ToString();
            groups[text] = groups.TryGetValue(text, out var seen) ? (seen.Count + 1, seen.First) : (1, goroutine);
        }

        return groups.Select(g => new StackGroup(
            g.Key,
            g.Value.Count,
            State(g.Value.First),
            g.Value.First.Frames.Select(f => f.Function).ToList(),
            g.Value.First.CreatedBy?.Function)).ToList();
    }

    // A busy goroutine is running or runnable depending on the instant; both are one story.
    private static string State(Goroutine goroutine) => goroutine.State == "runnable" ? "running" : goroutine.State;

    /// <summary>.NET threads keyed by their whole stack; the state is whether they were in native code when sampled.</summary>
    public static IReadOnlyList<StackGroup> FromThreads(ThreadStacksSummary stacks) => GroupComparer.Merge(stacks.Threads.Select(thread =>
    {
        var native = thread.Frames.Count > 0 && thread.Frames[0] == NativeCodeFrame;
        var frames = native ? thread.Frames.Skip(1).ToList() : thread.Frames.ToList();
        var state = native ? "in native code" : "running managed code";
        return new StackGroup($"{state}\n{string.Join('\n', frames)}", 1, state, frames, null);
    }));
}
