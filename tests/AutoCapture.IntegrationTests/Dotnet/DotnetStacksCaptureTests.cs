using System.Text;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Dotnet;

[Collection(DotnetTargetsCollection.Name)]
public sealed class DotnetStacksCaptureTests(ITestOutputHelper output) : IDisposable
{
    private const string Planted = "autocapture-testtarget!AutoCapture.TestTarget.PlantedWork.";
    private readonly CaptureWorkspace workspace = new();

    [Fact]
    public async Task Stacks_capture_shows_the_waiters_blocked_on_the_monitor_and_the_holder()
    {
        using var target = await TestTargetProcess.StartAsync("lock");

        var summary = await CaptureAsync(target);

        var stacks = summary.Stacks!;
        Assert.Null(summary.Cpu);
        Assert.Equal(stacks.Threads.Count, stacks.ThreadCount);
        var waiters = stacks.Threads.Where(t => t.Frames.Contains(Planted + "PlantedLockWaiter()")).ToList();
        Assert.Equal(3, waiters.Count);
        Assert.All(waiters, waiter =>
        {
            // Innermost first: blocked in native code, inside Monitor.Enter, called from the planted waiter.
            Assert.Equal(NettraceStacksAnalyzer.NativeFrames, waiter.Frames[0]);
            var monitor = waiter.Frames.ToList().FindIndex(f => f.StartsWith("System.Private.CoreLib!System.Threading.Monitor.Enter", StringComparison.Ordinal));
            Assert.InRange(monitor, 1, waiter.Frames.ToList().IndexOf(Planted + "PlantedLockWaiter()") - 1);
        });
        Assert.Single(stacks.Threads, t => t.Frames.Any(f => f.StartsWith(Planted + "PlantedLockHolder(", StringComparison.Ordinal)));
        Assert.Contains(stacks.Threads, t => t.ThreadId == target.Pid);

        var artifact = workspace.Sink.Info("stacks.txt");
        Assert.Equal(("stacks", "text/plain"), (artifact.Kind, artifact.ContentType));
        Assert.Single(workspace.Sink.Infos);
        var text = Encoding.UTF8.GetString(workspace.Sink.Content("stacks.txt"));
        var waiter = waiters[0];
        // The OS's name of the thread (Thread.Name, cut to 15 characters): the trace itself carries none.
        Assert.All(waiters, w => Assert.Equal("planted-lock-wa", w.Name));
        Assert.Null(stacks.Threads.Single(t => t.ThreadId == target.Pid).Name);
        Assert.Contains($"Thread 0x{waiter.ThreadId:x} (id {waiter.ThreadId}, \"planted-lock-wa\"):\n    [native code]\n    System.Private.CoreLib!System.Threading.Monitor.", text, StringComparison.Ordinal);
        Assert.Contains("    " + Planted + "PlantedLockWaiter()\n", text, StringComparison.Ordinal);
        output.WriteLine(text);

        // The holder took the lock before the capture and keeps it: the lock window heard no event naming it.
        Assert.Equal(waiters.Select(w => w.ThreadId).Order(), stacks.Locks!.Waiters);
        Assert.Empty(stacks.Locks.Holders);
        Assert.DoesNotContain("holds a lock", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stacks_capture_of_a_convoy_names_the_holder_from_the_next_waits_and_marks_it_in_the_text()
    {
        using var target = await TestTargetProcess.StartAsync("convoy");

        var summary = await CaptureAsync(target);

        var stacks = summary.Stacks!;
        var compactor = Assert.Single(stacks.Threads, t => t.Frames.Contains(Planted + "PlantedLedgerCompaction()"));
        var writers = stacks.Threads.Where(t => t.Frames.Contains(Planted + "PlantedLedgerWrite()")).Select(t => t.ThreadId).ToHashSet();
        Assert.Equal(6, writers.Count);
        Assert.Subset(writers, stacks.Locks!.Waiters.ToHashSet());
        var holder = stacks.Locks.Holders[0];
        Assert.Equal((compactor.ThreadId, Planted + "PlantedLedgerCompaction()", Planted + "PlantedLedgerWrite()"), (holder.OwnerThreadId, holder.HolderIn, holder.WaitingIn));
        var text = Encoding.UTF8.GetString(workspace.Sink.Content("stacks.txt"));
        output.WriteLine(text);
        Assert.Contains($"Thread 0x{compactor.ThreadId:x} (id {compactor.ThreadId}, \"planted-ledger-\", holds a lock; waiters: {holder.Waiters}):\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stacks_capture_of_a_convoy_on_a_System_Threading_Lock_names_its_holder_too()
    {
        using var target = await TestTargetProcess.StartAsync("shelf");

        var summary = await CaptureAsync(target);

        var stacks = summary.Stacks!;
        output.WriteLine(Encoding.UTF8.GetString(workspace.Sink.Content("stacks.txt")));
        var restock = Assert.Single(stacks.Threads, t => t.Frames.Contains(Planted + "PlantedShelfRestock()"));
        Assert.Equal(4, stacks.Locks!.Waiters.Count);
        Assert.Equal((restock.ThreadId, "planted-restock"), (stacks.Locks.Holders[0].OwnerThreadId, restock.Name));
        Assert.Equal(Planted + "PlantedShelfPick()", stacks.Locks.Holders[0].WaitingIn);
    }

    [Fact]
    public async Task A_target_that_exits_during_the_lock_window_keeps_its_snapshot_and_says_why_no_holder_is_named()
    {
        using var target = await TestTargetProcess.StartAsync("lock");
        var capture = CaptureAsync(target);
        // The window's trace file appears as its session starts: the snapshot is taken by then.
        var window = Path.Combine(workspace.Directory, "locks.nettrace");
        while (!File.Exists(window) && !capture.IsCompleted)
        {
            await Task.Delay(10);
        }

        target.Kill();
        var summary = await capture;

        Assert.Equal(3, summary.Stacks!.Threads.Count(t => t.Frames.Contains(Planted + "PlantedLockWaiter()")));
        Assert.Empty(summary.Stacks.Locks!.Holders);
        Assert.Contains($"process {target.Pid} (autocapture-testtarget)", summary.Stacks.Locks.Error, StringComparison.Ordinal);
        Assert.Equal("stacks.txt", Assert.Single(workspace.Sink.Infos).Name);
    }

    [Fact]
    public async Task Stacks_capture_without_lock_waiters_opens_no_lock_window()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");

        var summary = await CaptureAsync(target);

        Assert.Contains(summary.Stacks!.Threads, t => t.Frames.Contains(Planted + "PlantedHotMethod(int64)"));
        Assert.Null(summary.Stacks.Locks);
        // The lock window's session writes its own trace: none was started.
        Assert.False(File.Exists(Path.Combine(workspace.Directory, "locks.nettrace")));
    }

    private Task<Core.Summaries.CaptureSummary> CaptureAsync(TestTargetProcess target) => new DotnetStacksCaptureProvider().CaptureAsync(
        workspace.Context(target.Resolved, CaptureKinds.Stacks, TimeSpan.Zero), CancellationToken.None);

    public void Dispose() => workspace.Dispose();
}
