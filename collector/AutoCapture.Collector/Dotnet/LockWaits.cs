using Microsoft.Diagnostics.Tracing;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// Every lock wait from the runtime's contention events: the waiting thread, the thread that owned the lock when the
/// wait began (ContentionStart V2, .NET 8+), and how long it waited. Fed by a recorded trace or a live session alike.
/// </summary>
internal sealed class LockWaits
{
    private readonly Dictionary<int, (double At, long Owner)> started = [];
    private readonly List<(long Waiter, long Owner, double Seconds)> ended = [];

    /// <summary>The latest contention event's time, in the source's milliseconds.</summary>
    public double LastEventMSec { get; private set; }

    public void Subscribe(TraceEventDispatcher source)
    {
        source.Clr.ContentionStart += e =>
        {
            LastEventMSec = Math.Max(LastEventMSec, e.TimeStampRelativeMSec);
            if (e.LockOwnerThreadID != 0)
            {
                started[e.ThreadID] = (e.TimeStampRelativeMSec, (long)e.LockOwnerThreadID);
            }
        };
        source.Clr.ContentionStop += e =>
        {
            LastEventMSec = Math.Max(LastEventMSec, e.TimeStampRelativeMSec);
            if (started.Remove(e.ThreadID, out var start))
            {
                ended.Add((e.ThreadID, start.Owner, (e.TimeStampRelativeMSec - start.At) / 1000));
            }
        };
    }

    /// <summary>The waits seen; one still going at <paramref name="endMSec"/> counts until then.</summary>
    public List<(long Waiter, long Owner, double Seconds)> Until(double endMSec) =>
        [.. ended, .. started.Select(s => ((long)s.Key, s.Value.Owner, Math.Max(0, endMSec - s.Value.At) / 1000))];
}
