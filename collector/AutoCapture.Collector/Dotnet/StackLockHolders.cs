using System.Diagnostics.Tracing;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// The second phase of a .NET stacks capture, taken only when the snapshot caught threads waiting to enter a lock:
/// they were blocked before any session began, so the runtime raised their contention events already. The next wait
/// on the same lock raises a fresh ContentionStart naming the thread that holds it, so the capture listens for those
/// a short while, and places each holder by its snapshot stack. Nothing attaches to, suspends or stops the target.
/// </summary>
internal static class StackLockHolders
{
    /// <summary>
    /// A lock taken and released within two seconds shows its holder (the test target's convoy holds it 0.7 s at a
    /// time); one held longer is its own finding, and a longer window would only make that capture slower.
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    // Contention events only: no stacks are resolved from this session, so it needs neither the sampler nor a rundown.
    private static readonly EventPipeProvider[] Providers =
    [
        new("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.Contention),
    ];

    // Frames of a thread entering a lock in .NET 8–10: `lock` on an object blocks in Monitor (Enter, Enter_Slowpath,
    // TryEnter, ReliableEnter); a System.Threading.Lock blocks in a wait handle beneath its Enter/TryEnter family.
    private static readonly string[] LockEnterFrames =
    [
        "System.Private.CoreLib!System.Threading.Monitor.Enter",
        "System.Private.CoreLib!System.Threading.Monitor.TryEnter",
        "System.Private.CoreLib!System.Threading.Monitor.ReliableEnter",
        "System.Private.CoreLib!System.Threading.Lock.Enter",
        "System.Private.CoreLib!System.Threading.Lock.TryEnter",
    ];

    /// <summary>
    /// Whether the threading code the thread is in, beneath its caller's frames, is a lock's enter, on behalf of the
    /// application: the runtime's own threads (its timer, the thread pool's gate) take its internal locks in passing,
    /// and a snapshot catching one of them must not cost a lock window.
    /// </summary>
    public static bool IsEnteringLock(ThreadStack thread) =>
        thread.Frames
            .Where(f => !f.StartsWith('['))
            .TakeWhile(f => f.StartsWith(ThreadGroups.ThreadingNamespace, StringComparison.Ordinal))
            .Any(f => LockEnterFrames.Any(frame => f.StartsWith(frame, StringComparison.Ordinal)))
        && thread.Frames.Any(OwnCode.IsOwnDotnetFrame);

    /// <summary>
    /// Listens for contention events for at most <see cref="Window"/>, and less once every waiter of the snapshot has
    /// queued again behind a thread that was not waiting itself: then each lock's holder is known. Null when the
    /// snapshot has no waiters, without starting a session.
    /// </summary>
    public static async Task<StackLocks?> ListenAsync(ResolvedProcess process, ThreadStacksSummary snapshot, string tracePath, CancellationToken cancellationToken)
    {
        var waiters = snapshot.Threads.Where(IsEnteringLock).Select(t => t.ThreadId).ToHashSet();
        if (waiters.Count == 0)
        {
            return null;
        }

        var waits = new LockWaits();
        var queuedAgain = new HashSet<long>();
        bool early;
        try
        {
            early = await LiveEventPipe.RunAsync(process, Providers, tracePath, Window, (source, enough) =>
            {
                waits.Subscribe(source);
                source.Clr.ContentionStart += e =>
                {
                    if (waiters.Contains(e.ThreadID) && e.LockOwnerThreadID != 0 && !waiters.Contains((long)e.LockOwnerThreadID)
                        && queuedAgain.Add(e.ThreadID) && queuedAgain.Count == waiters.Count)
                    {
                        enough();
                    }
                };
            }, cancellationToken, rundown: false);
        }
        catch (CaptureFailedException e)
        {
            // The snapshot is the capture; a window that could not run (the target exited meanwhile) only loses the holder.
            return new StackLocks(0, [.. waiters.Order()], []) { Error = e.Message };
        }

        // Event times count from the session's start: an early end listened until the event that completed the picture.
        var listenedMSec = early ? waits.LastEventMSec : Window.TotalMilliseconds;
        return new StackLocks(Math.Round(listenedMSec / 1000, 3), [.. waiters.Order()], Holders(snapshot, waits.Until(listenedMSec), waiters));
    }

    /// <summary>
    /// The waits by holder, each side placed by its snapshot stack (its first own frame, else its innermost). Holders
    /// that were not waiting in the snapshot lead: a waiter that got the lock for a moment after the real holder let go
    /// made others wait too, but it is not who the snapshot's threads were waiting for.
    /// </summary>
    internal static List<LockContention> Holders(ThreadStacksSummary snapshot, List<(long Waiter, long Owner, double Seconds)> waits, IReadOnlySet<long> waiters)
    {
        var places = snapshot.Threads
            .Where(t => t.Frames.Any(f => !f.StartsWith('[')))
            .ToDictionary(t => t.ThreadId, t => new Dictionary<string, long> { [t.Frames.FirstOrDefault(OwnCode.IsOwnDotnetFrame) ?? t.Frames.First(f => !f.StartsWith('['))] = 1 });
        return [.. NettraceCpuAnalyzer.Locks(waits, places).OrderBy(l => waiters.Contains(l.OwnerThreadId)).Take(NettraceCpuAnalyzer.DefaultTopLocks)];
    }
}
