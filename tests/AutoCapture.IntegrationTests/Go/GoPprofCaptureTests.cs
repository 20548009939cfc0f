using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>Captures of a real Go program over net/http/pprof, and the ways real pprof servers fail.</summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GoPprofCaptureTests(ITestOutputHelper output) : IDisposable
{
    private readonly GoCaptureKit kit = new();

    [Fact]
    public async Task Cpu_profile_names_the_planted_hot_function()
    {
        using var target = await GoTargetProcess.StartAsync("-hot");

        var summary = await kit.CaptureAsync(target.ByAddress, CaptureKinds.Cpu, TimeSpan.FromSeconds(2));

        var cpu = summary.Cpu!;
        output.WriteLine(string.Join("\n", cpu.TopExclusive.Select(f => $"{f.Percent,6:F2}% {f.Samples} {f.Frame}")));
        Assert.Equal("main.plantedHotFunction", cpu.TopExclusive[0].Frame);
        Assert.InRange(cpu.TopExclusive[0].Percent, 50, 100);
        Assert.InRange(cpu.DurationSeconds, 1.5, 4);
        // 100 samples a second on one busy goroutine.
        Assert.InRange(cpu.SampleCount, 50, 1000);
        var pprof = summary.Profiles![CaptureKinds.Cpu];
        Assert.Equal(("cpu", "nanoseconds", 10_000_000L), (pprof.SampleType, pprof.Unit, pprof.Period));
        Assert.Equal("main.plantedHotFunction", pprof.TopFlat[0].Function);
        Assert.Equal(new[] { "samples", "cpu" }, pprof.SampleTypes.Select(t => t.Type));
        Assert.Equal(cpu.SampleCount * pprof.Period, pprof.Total);
        var artifact = kit.Workspace.Sink.Info("cpu.pb.gz");
        Assert.Equal((CaptureKinds.Cpu, "application/octet-stream"), (artifact.Kind, artifact.ContentType));
        Assert.Equal(new byte[] { 0x1f, 0x8b }, kit.Workspace.Sink.Content("cpu.pb.gz")[..2]);
    }

    [Fact]
    public async Task Goroutine_dump_groups_the_leak_by_state_stack_and_creator()
    {
        using var target = await GoTargetProcess.StartAsync("-leak", "300");

        var summary = await kit.CaptureAsync(target.ByAddress, CaptureKinds.Goroutines);

        var goroutines = summary.Goroutines!;
        output.WriteLine(string.Join("\n", goroutines.Groups.Select(g => $"{g.Count} [{g.State}] {string.Join(" < ", g.Frames)} (created by {g.CreatedBy})")));
        var leak = goroutines.Groups[0];
        Assert.Equal(300, leak.Count);
        Assert.Equal("chan receive", leak.State);
        Assert.Equal("main.plantedLeakyWorker", leak.Frames[^1]);
        Assert.Equal("main.startLeak", leak.CreatedBy);
        Assert.InRange(goroutines.Total, 302, 400);
        Assert.InRange(goroutines.Groups.Count, 2, goroutines.GroupCount);
        Assert.True(goroutines.Groups.Sum(g => g.Count) <= goroutines.Total);
        Assert.Contains("goroutine 1 [", Encoding.UTF8.GetString(kit.Workspace.Sink.Content("goroutines.txt")), StringComparison.Ordinal);
        var profile = summary.Profiles![CaptureKinds.Goroutines];
        Assert.Equal("goroutine", profile.SampleType);
        Assert.Equal(goroutines.Total, profile.Total);
        Assert.Contains(profile.TopCum, f => f.Function == "main.plantedLeakyWorker" && f.Value == 300);
    }

    [Fact]
    public async Task Heap_profile_names_the_function_holding_the_planted_type()
    {
        using var target = await GoTargetProcess.StartAsync("-orders", "20000");

        var summary = await kit.CaptureAsync(target.ByAddress, CaptureKinds.Heap);

        var heap = summary.Heap!;
        output.WriteLine(string.Join("\n", heap.Top.Select(t => $"{t.Percent,6:F2}% {t.Bytes} {t.Objects} {t.Name}")));
        Assert.Equal("function", heap.GroupedBy);
        Assert.Equal("main.newPlantedLeakedOrder", heap.Top[0].Name);
        // 20,000 orders of about 1 KiB: the sampled estimate lands near 20 MiB.
        Assert.InRange(heap.Top[0].Bytes, 10L << 20, 40L << 20);
        Assert.InRange(heap.Top[0].Objects ?? 0, 5_000, 40_000);
        var profile = summary.Profiles![CaptureKinds.Heap];
        Assert.Equal(("inuse_space", "bytes"), (profile.SampleType, profile.Unit));
        Assert.Equal(new[] { "alloc_objects", "alloc_space", "inuse_objects", "inuse_space" }, profile.SampleTypes.Select(t => t.Type));
    }

    [Fact]
    public async Task Allocs_block_mutex_threadcreate_and_trace_are_captured_and_summarised()
    {
        // The allocs profile samples about one allocation per 512 KiB: 20 MiB of orders make ~40 samples, where 2 MiB
        // made ~4 and left the planted function out of the profile about once in fifty runs.
        using var target = await GoTargetProcess.StartAsync("-contention", "-orders", "20000");
        await Task.Delay(500);

        var allocs = (await kit.CaptureAsync(target.ByAddress, CaptureKinds.Allocs)).Profiles![CaptureKinds.Allocs];
        var block = (await kit.CaptureAsync(target.ByAddress, CaptureKinds.Block)).Profiles![CaptureKinds.Block];
        var mutex = (await kit.CaptureAsync(target.ByAddress, CaptureKinds.Mutex)).Profiles![CaptureKinds.Mutex];
        var threads = (await kit.CaptureAsync(target.ByAddress, CaptureKinds.ThreadCreate)).Profiles![CaptureKinds.ThreadCreate];
        await kit.CaptureAsync(target.ByAddress, CaptureKinds.Trace, TimeSpan.FromSeconds(1));

        Assert.Equal("alloc_space", allocs.SampleType);
        Assert.Contains(allocs.TopFlat, f => f.Function == "main.newPlantedLeakedOrder");
        Assert.Equal(("delay", "nanoseconds"), (block.SampleType, block.Unit));
        Assert.Contains(block.TopCum, f => f.Function == "main.plantedMutexContender");
        Assert.Equal(("delay", "nanoseconds"), (mutex.SampleType, mutex.Unit));
        Assert.Contains(mutex.TopCum, f => f.Function == "main.plantedMutexContender");
        Assert.Equal("threadcreate", threads.SampleType);
        Assert.True(threads.Total > 0);
        Assert.StartsWith("go 1.", Encoding.ASCII.GetString(kit.Workspace.Sink.Content("trace.out"), 0, 10), StringComparison.Ordinal);
        Assert.Equal(new[] { "allocs.pb.gz", "block.pb.gz", "mutex.pb.gz", "threadcreate.pb.gz", "trace.out" }, kit.Workspace.Sink.Infos.Select(i => i.Name).Order());
    }

    [Fact]
    public async Task A_profile_already_running_is_reported_in_words_and_not_retried()
    {
        using var target = await GoTargetProcess.StartAsync();
        using var other = new HttpClient();
        var running = other.GetAsync(new Uri(target.Pprof, "/debug/pprof/profile?seconds=4"));
        await Task.Delay(500);

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => kit.CaptureAsync(target.ByAddress, CaptureKinds.Cpu, TimeSpan.FromSeconds(1)));

        Assert.Equal($"another profiler is already running in {target.PprofAddress} (it answered 500 \"Could not enable CPU profiling: cpu profiling already in use\"); not retried: capture again once that one has finished", failure.Message);
        Assert.Empty(kit.Workspace.Sink.Infos);
        (await running).Dispose();
    }

    [Fact]
    public async Task A_duration_over_the_servers_write_timeout_is_refused_in_words()
    {
        using var target = await GoTargetProcess.StartAsync("-write-timeout", "2s");

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => kit.CaptureAsync(target.ByAddress, CaptureKinds.Cpu, TimeSpan.FromSeconds(5)));

        Assert.StartsWith($"{target.PprofAddress} refused a 5 s capture: it is longer than the server's WriteTimeout (400 \"", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_profile_is_a_404_in_words()
    {
        using var target = await GoTargetProcess.StartAsync();
        var file = Path.Combine(kit.Workspace.Directory, "nosuch");

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            kit.Pprof.DownloadAsync(new Uri(target.PprofAddress), "/debug/pprof/nosuch", TimeSpan.Zero, file, CancellationToken.None));

        Assert.Equal($"{target.PprofAddress} has no /debug/pprof/nosuch (404 \"Unknown profile\"): the profile is unknown to it, or net/http/pprof is not mounted there", failure.Message);
    }

    [Fact]
    public async Task A_truncated_gzip_body_fails_clearly_and_stores_nothing()
    {
        using var target = await GoTargetProcess.StartAsync("-fault", "truncate", "-orders", "1000");

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => kit.CaptureAsync(target.ByAddress, CaptureKinds.Heap));

        Assert.StartsWith("the heap profile cannot be read: truncated or corrupt gzip:", failure.Message, StringComparison.Ordinal);
        Assert.Empty(kit.Workspace.Sink.Infos);
    }

    [Fact]
    public async Task A_hung_server_times_out_and_a_dead_one_refuses_the_connection()
    {
        using var target = await GoTargetProcess.StartAsync("-fault", "hang");
        using var impatient = new GoCaptureKit(TimeSpan.FromSeconds(2));

        var hung = await Assert.ThrowsAsync<CaptureFailedException>(() => impatient.CaptureAsync(target.ByAddress, CaptureKinds.Heap));
        target.Kill();
        var dead = await Assert.ThrowsAsync<CaptureFailedException>(() => impatient.CaptureAsync(target.ByAddress, CaptureKinds.Heap));

        Assert.Equal($"{target.PprofAddress} did not finish answering /debug/pprof/heap within 2 s (after 0 bytes): the server is too slow or hung", hung.Message);
        Assert.StartsWith($"cannot connect to {target.PprofAddress}: ", dead.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_dies_mid_capture_fails_the_capture_promptly()
    {
        using var target = await GoTargetProcess.StartAsync("-hot");
        var capture = kit.CaptureAsync(target.ByAddress, CaptureKinds.Cpu, TimeSpan.FromSeconds(30));
        await Task.Delay(1000);
        target.Kill();

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => capture.WaitAsync(TimeSpan.FromSeconds(20)));

        output.WriteLine(failure.Message);
        Assert.StartsWith($"the connection to {target.PprofAddress} broke during /debug/pprof/profile after 0 bytes: the target exited or closed it mid-response", failure.Message, StringComparison.Ordinal);
        Assert.Empty(kit.Workspace.Sink.Infos);
    }

    public void Dispose() => kit.Dispose();
}
