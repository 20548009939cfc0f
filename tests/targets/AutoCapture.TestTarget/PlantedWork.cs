using System.Runtime.CompilerServices;

namespace AutoCapture.TestTarget;

/// <summary>Known, plainly named work for captures to find: tests assert these names appear in profiles and stacks.</summary>
public static class PlantedWork
{
    private static readonly object Gate = new();
    private static readonly object Ledger = new();
    private static readonly Lock Shelf = new();

    // Published so the JIT cannot drop the hot loop as dead code.
    private static long sink;

    public static void StartHotThreads(int count)
    {
        for (var i = 0; i < count; i++)
        {
            StartBackground($"planted-hot-{i}", () =>
            {
                while (true)
                {
                    Volatile.Write(ref sink, PlantedHotMethod(Volatile.Read(ref sink)));
                }
            });
        }
    }

    /// <summary>Pure arithmetic with no calls, so every sample taken inside it is exclusive to it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long PlantedHotMethod(long seed)
    {
        var x = (ulong)seed | 1;
        for (var i = 0; i < 5_000_000; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        return (long)x;
    }

    /// <summary>Returns once one thread holds the lock for good and every waiter is blocked on it.</summary>
    public static void StartLockContention(int waiters)
    {
        using var held = new ManualResetEventSlim();
        StartBackground("planted-lock-holder", () => PlantedLockHolder(held));
        held.Wait();

        var threads = Enumerable.Range(0, waiters)
            .Select(i => StartBackground($"planted-lock-waiter-{i}", PlantedLockWaiter))
            .ToList();
        while (!threads.TrueForAll(t => (t.ThreadState & ThreadState.WaitSleepJoin) != 0))
        {
            Thread.Sleep(10);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedLockHolder(ManualResetEventSlim held)
    {
        lock (Gate)
        {
            held.Set();
            Thread.Sleep(Timeout.Infinite);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedLockWaiter()
    {
        // Blocks for good: the holder keeps the lock for the life of the process.
        lock (Gate)
        {
        }
    }

    /// <summary>
    /// A convoy: one thread keeps taking the ledger lock and sleeping inside it, request threads queue for it. Each
    /// time the holder lets go, the writers get through and queue again, so the runtime reports fresh waits all along.
    /// </summary>
    public static void StartLedgerConvoy(int writers) =>
        StartConvoy("planted-ledger-compactor", PlantedLedgerCompaction, "planted-ledger-writer", PlantedLedgerWrite, writers);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedLedgerCompaction()
    {
        lock (Ledger)
        {
            Thread.Sleep(700);
        }

        Thread.Sleep(5);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedLedgerWrite()
    {
        lock (Ledger)
        {
            Volatile.Write(ref sink, Volatile.Read(ref sink) + 1);
        }

        Thread.Sleep(1);
    }

    /// <summary>
    /// The convoy on a System.Threading.Lock rather than an object's monitor: its waiters block in a wait handle
    /// beneath Lock.EnterScope, not in Monitor.Enter.
    /// </summary>
    public static void StartShelfConvoy(int pickers) =>
        StartConvoy("planted-restock", PlantedShelfRestock, "planted-pick", PlantedShelfPick, pickers);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedShelfRestock()
    {
        lock (Shelf)
        {
            Thread.Sleep(700);
        }

        Thread.Sleep(5);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PlantedShelfPick()
    {
        lock (Shelf)
        {
            Volatile.Write(ref sink, Volatile.Read(ref sink) + 1);
        }

        Thread.Sleep(1);
    }

    private static void StartConvoy(string holderName, Action hold, string workerName, Action work, int workers)
    {
        StartBackground(holderName, () =>
        {
            while (true)
            {
                hold();
            }
        });
        for (var i = 0; i < workers; i++)
        {
            StartBackground($"{workerName}-{i}", () =>
            {
                while (true)
                {
                    work();
                }
            });
        }
    }

    private static Thread StartBackground(string name, ThreadStart work)
    {
        var thread = new Thread(work) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }
}
