using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Dotnet;

/// <summary>Turns a short SampleProfiler .nettrace into one managed stack per thread, like dotnet-stack.</summary>
public static class NettraceStacksAnalyzer
{
    /// <summary>Shown innermost when the thread was in native code: blocked in a wait, or in a P/Invoke.</summary>
    public const string NativeFrames = "[native code]";

    /// <summary>Each thread's first sample in the trace, threads ordered by id.</summary>
    public static ThreadStacksSummary Analyze(string nettracePath)
    {
        using var trace = NettraceStacks.Open(nettracePath);
        var firstByThread = new Dictionary<long, (double Time, ThreadSample Sample)>();
        trace.Source.ForEach(raw =>
        {
            if (trace.Resolve(raw.StackIndex) is { } sample
                && (!firstByThread.TryGetValue(sample.ThreadId, out var seen) || raw.TimeRelativeMSec < seen.Time))
            {
                firstByThread[sample.ThreadId] = (raw.TimeRelativeMSec, sample);
            }
        });

        var threads = firstByThread.Values
            .Select(first => ToThreadStack(first.Sample))
            .OrderBy(thread => thread.ThreadId)
            .ToList();
        return new ThreadStacksSummary(threads.Count, threads);
    }

    internal static ThreadStack ToThreadStack(ThreadSample sample) =>
        new(sample.ThreadId, sample.InNativeCode ? [NativeFrames, .. sample.Frames] : sample.Frames) { Name = sample.Name };

    /// <summary>
    /// The stacks.txt artifact: "Thread 0x1a2b (id 6699, "name"):" then its frames, innermost first, indented. A thread
    /// the lock window named as a holder says so on its first line: "…, holds a lock; waiters: 6):".
    /// </summary>
    public static void WriteText(ThreadStacksSummary stacks, TextWriter writer)
    {
        var holders = stacks.Locks?.Holders.ToDictionary(h => h.OwnerThreadId, h => h.Waiters) ?? [];
        foreach (var thread in stacks.Threads)
        {
            var name = thread.Name is { } named ? $", \"{named}\"" : string.Empty;
            var holds = holders.TryGetValue(thread.ThreadId, out var waiters) ? $", holds a lock; waiters: {waiters}" : string.Empty;
            writer.Write($"Thread 0x{thread.ThreadId:x} (id {thread.ThreadId}{name}{holds}):\n");
            foreach (var frame in thread.Frames)
            {
                writer.Write($"    {frame}\n");
            }

            writer.Write('\n');
        }
    }
}
