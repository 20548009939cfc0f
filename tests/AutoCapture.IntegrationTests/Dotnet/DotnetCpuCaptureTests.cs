using System.Text.Json;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Profiles.Histograms;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Dotnet;

[Collection(DotnetTargetsCollection.Name)]
public sealed class DotnetCpuCaptureTests(ITestOutputHelper output) : IDisposable
{
    private const string HotMethod = "autocapture-testtarget!AutoCapture.TestTarget.PlantedWork.PlantedHotMethod(int64)";
    private readonly CaptureWorkspace workspace = new();
    private readonly DotnetCpuCaptureProvider provider = new();

    [Fact]
    public async Task Cpu_capture_ranks_the_planted_hot_method_first_and_stores_trace_and_speedscope()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");

        var summary = await provider.CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Cpu, TimeSpan.FromSeconds(3)), CancellationToken.None);

        var cpu = summary.Cpu!;
        Assert.Null(summary.Stacks);
        // Two threads spin in the hot method; next to nothing else runs managed code.
        Assert.Equal(HotMethod, cpu.TopExclusive[0].Frame);
        Assert.InRange(cpu.TopExclusive[0].Percent, 50, 100);
        // Inclusive: only its callers (the thread's lambda, Thread.StartCallback) can rank above it.
        Assert.InRange(cpu.TopInclusive.ToList().FindIndex(frame => frame.Frame == HotMethod), 0, 2);
        Assert.InRange(cpu.DurationSeconds, 2, 4.5);
        Assert.InRange(cpu.ThreadCount, 3, 30);
        Assert.True(cpu.TopExclusive.Sum(f => f.Samples) <= cpu.SampleCount);
        Assert.InRange(cpu.TopExclusive.Count, 1, 15);
        Assert.InRange(cpu.TopInclusive.Count, 3, 15);
        // Only real methods ("module!Type.Method(args)") are ranked, never the profiler's pseudo-frames.
        Assert.All(cpu.TopExclusive.Concat(cpu.TopInclusive), f => Assert.Contains("!", f.Frame, StringComparison.Ordinal));

        var trace = workspace.Sink.Info("cpu.nettrace");
        Assert.Equal(("cpu", "application/octet-stream"), (trace.Kind, trace.ContentType));
        Assert.Equal(new FileInfo(Path.Combine(workspace.Directory, "cpu.nettrace")).Length, trace.Size);
        Assert.StartsWith("Nettrace", System.Text.Encoding.ASCII.GetString(workspace.Sink.Content("cpu.nettrace"), 0, 8));

        var speedscope = workspace.Sink.Info("cpu.speedscope.json");
        Assert.Equal(("cpu", "application/json"), (speedscope.Kind, speedscope.ContentType));
        using var json = JsonDocument.Parse(workspace.Sink.Content("cpu.speedscope.json"));
        Assert.Contains(HotMethod, SpeedscopeFile.AssertOpens(json.RootElement));
        Assert.True(json.RootElement.GetProperty("profiles").GetArrayLength() >= 3, "one profile per sampled thread");

        // Every frame, for diffs: its top agrees with the summary's, and flat samples add up to the on-CPU samples.
        var functions = AutoCaptureJson.Deserialize<FunctionHistogram>(workspace.Sink.Content("cpu.functions.json"));
        Assert.Equal(("cpu", "application/json"), (workspace.Sink.Info("cpu.functions.json").Kind, workspace.Sink.Info("cpu.functions.json").ContentType));
        Assert.Equal(("samples", cpu.SampleCount), (functions.SampleType, functions.Total));
        Assert.Equal(cpu.TopExclusive.Select(f => (f.Frame, f.Samples)), functions.Functions.Take(cpu.TopExclusive.Count).Select(f => (f.Name, f.Flat)));
        Assert.True(functions.Functions.Count >= cpu.TopInclusive.Count);
        Assert.True(functions.Functions.Sum(f => f.Flat) <= cpu.SampleCount);
        Assert.All(functions.Functions, f => Assert.InRange(f.Flat, 0, f.Cum));

        output.WriteLine($"samples {cpu.SampleCount}, threads {cpu.ThreadCount}, {cpu.DurationSeconds} s");
        output.WriteLine($"cpu.nettrace {trace.Size} bytes, cpu.speedscope.json {speedscope.Size} bytes");
        output.WriteLine(string.Join("\n", cpu.TopExclusive.Select(f => $"{f.Percent,6:F2}% {f.Frame}")));
    }

    [Fact]
    public async Task Analyzer_summarises_a_trace_again_from_its_file_and_leaves_no_intermediate_file()
    {
        // How fast it is, is measured by the nettrace benchmark (docs/benchmarks.md), not here.
        using var target = await TestTargetProcess.StartAsync("cpu");
        await provider.CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Cpu, TimeSpan.FromSeconds(3)), CancellationToken.None);

        var again = NettraceCpuAnalyzer.Analyze(
            Path.Combine(workspace.Directory, "cpu.nettrace"), Path.Combine(workspace.Directory, "again.speedscope.json"));

        output.WriteLine($"summarised {again.SampleCount} samples");
        Assert.Equal(HotMethod, again.TopExclusive[0].Frame);
        Assert.False(File.Exists(Path.Combine(workspace.Directory, "cpu.etlx")), "the intermediate .etlx must be deleted");
    }

    [Fact]
    public async Task Target_exiting_mid_capture_fails_the_capture_in_words_without_waiting_out_the_duration()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");
        var capture = provider.CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Cpu, TimeSpan.FromSeconds(60)), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        target.Kill();

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => capture.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"process {target.Pid} (autocapture-testtarget) ended the trace", failure.Message, StringComparison.Ordinal);
        Assert.Contains("it exited or dropped the diagnostics connection", failure.Message, StringComparison.Ordinal);
        Assert.Empty(workspace.Sink.Infos);
    }

    [Fact]
    public async Task Capture_of_a_process_that_is_gone_fails_in_words()
    {
        var target = await TestTargetProcess.StartAsync("idle");
        var gone = target.Resolved;
        target.Dispose();

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => provider.CaptureAsync(
            workspace.Context(gone, CaptureKinds.Cpu, TimeSpan.FromSeconds(2)), CancellationToken.None));

        Assert.StartsWith($"cannot start a trace in process {gone.Pid} (autocapture-testtarget): ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_stops_the_session_promptly_and_leaves_the_target_traceable()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        // A 60 s capture: stopping well before its end (a hang guard, not a measurement) shows the cancellation took.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.CaptureAsync(
            workspace.Context(target.Resolved, CaptureKinds.Cpu, TimeSpan.FromSeconds(60)), cancel.Token).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Empty(workspace.Sink.Infos);
        using var next = new CaptureWorkspace();
        var summary = await new DotnetStacksCaptureProvider().CaptureAsync(
            next.Context(target.Resolved, CaptureKinds.Stacks, TimeSpan.Zero), CancellationToken.None);
        Assert.True(summary.Stacks!.ThreadCount > 0);
    }

    public void Dispose() => workspace.Dispose();
}
