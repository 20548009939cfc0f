using System.Runtime.CompilerServices;

namespace AutoCapture.TestTarget;

/// <summary>
/// "steady" mode and the faults a test switches on afterwards (stdin line "fault NAME"), so a baseline can be taken
/// first: steady work stays the same, and each fault is one plainly named change a diff must put at the top.
/// </summary>
public static class PlantedFaults
{
    public const int StuckThreads = 6;
    public const int SessionCount = 20_000;

    private static readonly List<PlantedCacheEntry> Cache = [];
    private static readonly List<PlantedSession> HeldSessions = [];
    private static readonly ManualResetEventSlim Never = new();
    private static long sink;

    /// <summary>Unchanging background: one thread in the planted hot method, idle waiting threads, a cache.</summary>
    public static void StartSteady()
    {
        PlantedWork.StartHotThreads(count: 1);
        for (var i = 0; i < 3; i++)
        {
            new Thread(PlantedIdleWorker) { IsBackground = true, Name = $"planted-idle-{i}" }.Start();
        }

        for (var i = 0; i < 5_000; i++)
        {
            Cache.Add(new PlantedCacheEntry(i));
        }
    }

    /// <returns>False for a fault it does not know.</returns>
    public static bool SwitchOn(string fault)
    {
        switch (fault)
        {
            case "cpu":
                new Thread(() =>
                {
                    while (true)
                    {
                        Volatile.Write(ref sink, PlantedFaultHotMethod(Volatile.Read(ref sink)));
                    }
                }) { IsBackground = true, Name = "planted-fault-hot" }.Start();
                return true;
            case "heap":
                lock (HeldSessions)
                {
                    for (var i = 0; i < SessionCount; i++)
                    {
                        HeldSessions.Add(new PlantedSession(i));
                    }
                }

                return true;
            case "threads":
                var started = new CountdownEvent(StuckThreads);
                for (var i = 0; i < StuckThreads; i++)
                {
                    new Thread(() =>
                    {
                        started.Signal();
                        PlantedStuckThread();
                    }) { IsBackground = true, Name = $"planted-stuck-{i}" }.Start();
                }

                started.Wait();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The new hot method: arithmetic with no calls, unlike anything the steady work runs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long PlantedFaultHotMethod(long seed)
    {
        var x = (ulong)seed | 3;
        for (var i = 0; i < 5_000_000; i++)
        {
            x ^= x << 5;
            x ^= x >> 11;
            x ^= x << 23;
        }

        return (long)x;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedStuckThread() => Never.Wait();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedIdleWorker() => Never.Wait(Timeout.Infinite);
}

/// <summary>What the steady cache holds: unchanged between baseline and fault.</summary>
public sealed class PlantedCacheEntry(int key)
{
    public int Key { get; } = key;

    public OrderLines Payload { get; set; }
}

/// <summary>The type that starts accumulating when the heap fault is on.</summary>
public sealed class PlantedSession(int id)
{
    public int Id { get; } = id;

    public OrderLines State { get; set; }
}
