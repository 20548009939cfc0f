using System.Globalization;
using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Profiles.Histograms;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Dotnet;

[Collection(DotnetTargetsCollection.Name)]
public sealed class DotnetHeapCountersDumpTests(ITestOutputHelper output) : IDisposable
{
    private const string LeakedType = "AutoCapture.TestTarget.PlantedLeakedOrder";
    private readonly CaptureWorkspace workspace = new();

    [Fact]
    public async Task Heap_snapshot_names_the_type_that_holds_the_heap_and_keeps_the_raw_trace()
    {
        using var target = await TestTargetProcess.StartAsync("heap");

        var summary = await new DotnetHeapCaptureProvider().CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Heap, TimeSpan.Zero), CancellationToken.None);

        var heap = summary.Heap!;
        output.WriteLine($"{heap.TotalObjects} objects, {heap.TotalBytes} bytes, pause {heap.PauseMilliseconds} ms");
        output.WriteLine(string.Join("\n", heap.Top.Select(t => $"{t.Percent,6:F2}% {t.Bytes,12} {t.Objects,8} {t.Name}")));
        Assert.Equal("type", heap.GroupedBy);
        var top = heap.Top[0];
        Assert.Equal(LeakedType, top.Name);
        // 50,000 planted orders, each a little over 512 bytes of inline lines.
        Assert.Equal(50_000, top.Objects);
        Assert.InRange(top.Bytes, 50_000L * 512, 50_000L * 600);
        Assert.True(heap.TotalObjects >= 50_000);
        Assert.True(heap.TotalBytes >= top.Bytes);
        Assert.True(heap.PauseMilliseconds > 0);
        Assert.Equal(heap.Top.OrderByDescending(t => t.Bytes).Select(t => t.Name), heap.Top.Select(t => t.Name));

        // Every type, for diffs: the summary's top is its head, and the totals agree.
        var types = AutoCaptureJson.Deserialize<TypeHistogram>(workspace.Sink.Content("heap.types.json"));
        Assert.Equal((heap.TotalBytes, heap.TotalObjects), (types.TotalBytes, (long?)types.TotalObjects));
        Assert.Equal(heap.Top.Select(t => (t.Name, t.Bytes, t.Objects)), types.Types.Take(heap.Top.Count).Select(t => (t.Name, t.Bytes, (long?)t.Objects)));
        Assert.True(types.Types.Count > heap.Top.Count);

        var trace = workspace.Sink.Info("heap.nettrace");
        Assert.Equal(("heap", "application/octet-stream"), (trace.Kind, trace.ContentType));
        Assert.StartsWith("Nettrace", Encoding.ASCII.GetString(workspace.Sink.Content("heap.nettrace"), 0, 8));
    }

    [Fact]
    public async Task Counters_sample_the_runtime_over_the_window_and_see_the_cpu_burn()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");

        var summary = await new DotnetCountersCaptureProvider().CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Counters, TimeSpan.FromSeconds(3)), CancellationToken.None);

        var counters = summary.Counters!;
        output.WriteLine(string.Join("\n", counters.Counters.Select(c => $"{c.Name} = {c.Last} {c.Unit} (min {c.Min}, max {c.Max}, {c.Samples} samples)")));
        var names = counters.Counters.Select(c => c.Name).ToHashSet();
        foreach (var expected in new[] { "gc-heap-size", "gen-0-gc-count", "alloc-rate", "threadpool-queue-length", "threadpool-thread-count", "exception-count", "monitor-lock-contention-count", "cpu-usage" })
        {
            Assert.Contains(expected, names);
        }

        Assert.Equal(3, counters.WindowSeconds);
        var cpu = counters.Counters.Single(c => c.Name == "cpu-usage");
        // Two threads spin in the hot method: well above idle on any core count.
        Assert.True(cpu.Max > 10, $"cpu-usage max {cpu.Max}");
        Assert.All(counters.Counters, c => Assert.InRange(c.Last, c.Min, c.Max));

        var csv = Encoding.UTF8.GetString(workspace.Sink.Content("counters.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("seconds,name,value,unit", csv[0]);
        Assert.Contains(csv, line => line.Split(',')[1] == "cpu-usage" && double.Parse(line.Split(',')[2], CultureInfo.InvariantCulture) == cpu.Max);
    }

    [Fact]
    public async Task Mini_dump_is_streamed_to_the_store_and_deleted_locally()
    {
        using var target = await TestTargetProcess.StartAsync("idle");
        var context = workspace.Context(target.Resolved, CaptureKinds.Dump, TimeSpan.Zero) with
        {
            Spec = new CaptureSpec(CaptureKinds.Dump, DumpType: DumpTypes.Mini),
        };

        var summary = await Provider(new DumpOptions()).CaptureAsync(context, CancellationToken.None);

        var dump = summary.Dump!;
        Assert.Equal(DumpTypes.Mini, dump.DumpType);
        var artifact = workspace.Sink.Info($"dump-{target.Pid}.dmp");
        Assert.Equal(dump.Bytes, artifact.Size);
        Assert.True(dump.Bytes > 0);
        // An ELF core file: what dotnet-dump and lldb/sos open.
        Assert.Equal("\u007fELF", Encoding.ASCII.GetString(workspace.Sink.Content(artifact.Name), 0, 4));
        Assert.Empty(Directory.EnumerateFiles(workspace.Directory, "*.dmp"));
    }

    [Fact]
    public async Task Dump_over_the_size_limit_or_the_free_disk_is_refused_before_anything_is_written()
    {
        using var target = await TestTargetProcess.StartAsync("idle");
        var context = workspace.Context(target.Resolved, CaptureKinds.Dump, TimeSpan.Zero) with
        {
            Spec = new CaptureSpec(CaptureKinds.Dump, DumpType: DumpTypes.Full),
        };

        var tooBig = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            Provider(new DumpOptions { MaxBytes = 1024 * 1024 }).CaptureAsync(context, CancellationToken.None));
        var noRoom = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            Provider(new DumpOptions { MinFreeBytes = long.MaxValue / 2 }).CaptureAsync(context, CancellationToken.None));

        Assert.StartsWith($"refused: a full dump of process {target.Pid} (autocapture-testtarget) would be about ", tooBig.Message, StringComparison.Ordinal);
        Assert.EndsWith("over the limit of 1 MiB (AutoCapture:Collector:Dumps:MaxBytes)", tooBig.Message, StringComparison.Ordinal);
        Assert.Contains("must stay free (AutoCapture:Collector:Dumps:MinFreeBytes)", noRoom.Message, StringComparison.Ordinal);
        Assert.Empty(workspace.Sink.Infos);
        Assert.Empty(Directory.EnumerateFiles(workspace.Directory));
    }

    [Fact]
    public async Task Cpu_summary_groups_threads_by_what_they_run_and_names_the_hot_group()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");

        var summary = await new DotnetCpuCaptureProvider().CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Cpu, TimeSpan.FromSeconds(2)), CancellationToken.None);

        var groups = summary.Cpu!.ThreadGroups!;
        output.WriteLine(string.Join("\n", groups.Select(g => $"{g.Percent,6:F2}% {g.ThreadCount} threads {g.Group}: {string.Join(" | ", g.TopExclusive.Select(f => f.Frame))}")));
        var hot = groups[0];
        // Both hot threads start with the same lambda, so they form one group whose hottest frame is the planted method.
        Assert.Contains("StartHotThreads", hot.Group, StringComparison.Ordinal);
        Assert.Equal(2, hot.ThreadCount);
        Assert.Equal("autocapture-testtarget!AutoCapture.TestTarget.PlantedWork.PlantedHotMethod(int64)", hot.TopExclusive[0].Frame);
        Assert.True(hot.Samples <= summary.Cpu.SampleCount);
    }

    private static DotnetDumpCaptureProvider Provider(DumpOptions dumps) =>
        new(Microsoft.Extensions.Options.Options.Create(new CollectorOptions { Dumps = dumps }));

    public void Dispose() => workspace.Dispose();
}
