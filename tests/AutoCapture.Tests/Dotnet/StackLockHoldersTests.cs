using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Tests.Dotnet;

/// <summary>A stacks capture's lock window: contention events' owners mapped onto the snapshot's threads, and the finding they make.</summary>
public sealed class StackLockHoldersTests
{
    private const string Enter = "System.Private.CoreLib!System.Threading.Monitor.Enter_Slowpath(class System.Object)";
    private const string Sleep = "System.Private.CoreLib!System.Threading.Thread.Sleep(int32)";

    private static ThreadStack Waiter(long id, string own) => new(id, ["[native code]", Enter, $"shop!{own}()", "System.Private.CoreLib!System.Threading.Thread.StartCallback()"]) { Name = $"clerk-{id}" };

    private static ThreadStack Holder(long id, string own) => new(id, ["[native code]", Sleep, $"shop!{own}()"]) { Name = $"keeper-{id}" };

    private static ThreadStacksSummary Snapshot(params ThreadStack[] threads) => new(threads.Length, threads);

    [Fact]
    public void The_owner_named_by_the_events_is_placed_by_its_snapshot_stack_and_its_waiters_by_theirs()
    {
        var snapshot = Snapshot(Waiter(11, "Depot.Tally.Count"), Waiter(12, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"));

        var holders = StackLockHolders.Holders(snapshot, [(11, 20, 0.25), (12, 20, 0.5)], new HashSet<long> { 11, 12 });

        var holder = Assert.Single(holders);
        Assert.Equal(new LockContention(20, 2, 0.75, 0.5, "shop!Depot.Tally.Count()", "shop!Depot.Tally.Seal()"), holder);
    }

    [Fact]
    public void An_owner_missing_from_the_snapshot_has_no_place_and_the_finding_says_so_instead_of_guessing()
    {
        var snapshot = Snapshot(Waiter(11, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"));
        var holders = StackLockHolders.Holders(snapshot, [(11, 4242, 0.1)], new HashSet<long> { 11 });

        Assert.Null(Assert.Single(holders).HolderIn);
        var first = Lead(snapshot with { Locks = new StackLocks(0.3, [11], holders) });
        Assert.Equal("1 thread waits to enter a lock in Depot.Tally.Count; held by thread 4242 (not in the snapshot: it started after it, or runs no managed code)", first.Text);
        Assert.DoesNotContain("Depot.Tally.Seal", first.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_locks_each_get_their_holder_and_holders_that_were_not_waiting_lead_over_longer_waits_on_passing_waiters()
    {
        var snapshot = Snapshot(
            Waiter(11, "Depot.Tally.Count"), Waiter(12, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"),
            Waiter(31, "Depot.Dock.Unload"), Holder(40, "Depot.Dock.Inspect"));

        // 12 got the tally lock for a moment after 20 let go and made 11 wait longer than anyone waited on 20 or 40.
        var holders = StackLockHolders.Holders(
            snapshot, [(11, 12, 0.9), (11, 20, 0.01), (12, 20, 0.02), (31, 40, 0.3)], new HashSet<long> { 11, 12, 31 });

        Assert.Equal([40L, 20L, 12L], holders.Select(h => h.OwnerThreadId));
        Assert.Equal(("shop!Depot.Dock.Unload()", "shop!Depot.Dock.Inspect()"), (holders[0].WaitingIn, holders[0].HolderIn));
        Assert.Equal(("shop!Depot.Tally.Count()", "shop!Depot.Tally.Seal()"), (holders[1].WaitingIn, holders[1].HolderIn));
        var finding = Lead(snapshot with { Locks = new StackLocks(0.4, [11, 12, 31], holders) });
        Assert.Equal("1 thread waits to enter a lock in Depot.Dock.Unload; held by thread 40 (keeper-40) in Depot.Dock.Inspect", finding.Text);
        Assert.Contains("  thread 20 (keeper-20) in shop!Depot.Tally.Seal(): 2 waiters, 0.03 s waited in the window", finding.Evidence);
    }

    [Fact]
    public void No_event_naming_a_holder_says_why_the_holder_is_unknown()
    {
        var snapshot = Snapshot(Waiter(11, "Depot.Tally.Count"), Waiter(12, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"));

        var finding = Lead(snapshot with { Locks = new StackLocks(1.02, [11, 12], StackLockHolders.Holders(snapshot, [], new HashSet<long> { 11, 12 })) });

        Assert.Equal(FindingKind.Locks, finding.Kind);
        Assert.Equal("2 threads wait to enter a lock in Depot.Tally.Count; no thread took or released it in 1 s, so no event named its holder: a long hold or a deadlock; a dump capture shows the holder", finding.Text);
        Assert.DoesNotContain("held by", string.Join("\n", CaptureFindings.Lines([finding])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_window_that_failed_says_why_and_names_no_holder()
    {
        var snapshot = Snapshot(Waiter(11, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"));

        var finding = Lead(snapshot with { Locks = new StackLocks(0, [11], []) { Error = "process 7 (depot) ended the session before it was complete" } });

        Assert.Equal("1 thread waits to enter a lock in Depot.Tally.Count; its holder is unknown: the lock window failed (process 7 (depot) ended the session before it was complete)", finding.Text);
    }

    [Fact]
    public void Without_a_lock_window_the_stacks_finding_stays_where_threads_are()
    {
        var finding = Lead(Snapshot(Waiter(11, "Depot.Tally.Count"), Waiter(12, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal")));

        Assert.Equal((FindingKind.Threads, "2 of 3 threads wait in Depot.Tally.Count (innermost: System.Threading.Monitor.Enter_Slowpath)"), (finding.Kind, finding.Text));
    }

    [Theory]
    [InlineData(true, Enter)]
    [InlineData(true, "System.Private.CoreLib!System.Threading.Monitor.Enter(class System.Object,bool&)")]
    // .NET 10's System.Threading.Lock, as the test target's shelf convoy shows it: blocked in a wait handle beneath it.
    [InlineData(true, "System.Private.CoreLib!System.Threading.WaitHandle.WaitOneNoCheck(int32,bool,class System.Object,value class WaitHandleWaitSourceMap)",
        "System.Private.CoreLib!System.Threading.Lock.TryEnterSlow(int32,value class ThreadId)",
        "System.Private.CoreLib!System.Threading.Lock.EnterAndGetCurrentThreadId()",
        "System.Private.CoreLib!System.Threading.Lock.EnterScope()")]
    [InlineData(false, "System.Private.CoreLib!System.Threading.Monitor.Wait(class System.Object,int32)", "System.Private.CoreLib!System.Threading.ManualResetEventSlim.Wait(int32,value class System.Threading.CancellationToken)")]
    [InlineData(false, Sleep)]
    public void A_thread_enters_a_lock_when_the_threading_code_it_is_in_is_a_monitor_or_lock_enter(bool entering, params string[] innermost)
    {
        Assert.Equal(entering, StackLockHolders.IsEnteringLock(new ThreadStack(1, ["[native code]", .. innermost, "shop!Depot.Tally.Count()"])));
    }

    [Fact]
    public void The_runtimes_own_threads_taking_its_internal_locks_do_not_count()
    {
        // Caught in a test target's snapshot: the timer thread spinning on the timer queue's lock for a moment.
        Assert.False(StackLockHolders.IsEnteringLock(new ThreadStack(1, [
            "[native code]",
            "System.Private.CoreLib!System.Threading.LowLevelSpinWaiter.Wait(int32,int32,bool)",
            "System.Private.CoreLib!System.Threading.Lock.TryEnterSlow(int32,value class ThreadId)",
            "System.Private.CoreLib!System.Threading.Lock.EnterAndGetCurrentThreadId()",
            "System.Private.CoreLib!System.Threading.TimerQueue.TimerThread()",
            "System.Private.CoreLib!System.Threading.Thread.StartCallback()",
        ]) { Name = ".NET Timer" }));
    }

    [Fact]
    public void A_lock_entered_deeper_down_beneath_application_code_does_not_count()
    {
        // The thread waits in Monitor.Wait; the lock its caller's caller holds is not one it is entering.
        Assert.False(StackLockHolders.IsEnteringLock(new ThreadStack(1, ["[native code]", "System.Private.CoreLib!System.Threading.Monitor.Wait(class System.Object,int32)", "shop!Depot.Tally.Await()", Enter, "shop!Depot.Tally.Count()"])));
    }

    [Fact]
    public void Stacks_text_marks_the_holder_thread()
    {
        var snapshot = Snapshot(Waiter(11, "Depot.Tally.Count"), Holder(20, "Depot.Tally.Seal"));
        using var text = new StringWriter();

        NettraceStacksAnalyzer.WriteText(snapshot with { Locks = new StackLocks(0.2, [11], StackLockHolders.Holders(snapshot, [(11, 20, 0.1)], new HashSet<long> { 11 })) }, text);

        Assert.Contains("Thread 0x14 (id 20, \"keeper-20\", holds a lock; waiters: 1):\n", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("Thread 0xb (id 11, \"clerk-11\"):\n", text.ToString(), StringComparison.Ordinal);
    }

    private static Finding Lead(ThreadStacksSummary stacks) => CaptureFindings.For(new CaptureSummary { Stacks = stacks }, Runtimes.Dotnet)[0];
}
