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

        var summary = await new DotnetStacksCaptureProvider().CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Stacks, TimeSpan.Zero), CancellationToken.None);

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
    }

    public void Dispose() => workspace.Dispose();
}
