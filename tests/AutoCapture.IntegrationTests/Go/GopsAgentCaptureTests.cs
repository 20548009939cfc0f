using System.Globalization;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Options;
using AutoCapture.Collector.Processes;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>
/// Captures through the gops agent protocol. The real agent (github.com/google/gops/agent) is a Go module these
/// machines cannot fetch, so gotarget -gops serves the same wire protocol: one command byte in, the answer until close.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GopsAgentCaptureTests(ITestOutputHelper output) : IDisposable
{
    private readonly GoCaptureKit kit = new();

    [Fact]
    public async Task Finds_the_agent_by_the_port_file_in_the_targets_own_config_directory()
    {
        using var target = await GoTargetProcess.StartAsync("-gops");
        var finder = new GopsProcessFinder(Microsoft.Extensions.Options.Options.Create(new CollectorOptions()));

        var byPid = await finder.ResolveAsync(new ProcessSelector(Runtimes.Go, Pid: target.Pid), CancellationToken.None);

        Assert.Equal(target.Pid, byPid.Pid);
        Assert.Equal(GoTargetProcess.Name, byPid.Name);
        Assert.Equal(target.GopsPort.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(target.GopsConfigDirectory, target.Pid.ToString(CultureInfo.InvariantCulture))));
        var configured = new GopsProcessFinder(Microsoft.Extensions.Options.Options.Create(new CollectorOptions { Go = new GoCaptureOptions { GopsConfigDirectories = [target.GopsConfigDirectory] } }));
        Assert.Equal(byPid, await configured.ResolveAsync(new ProcessSelector(Runtimes.Go, Name: GoTargetProcess.Name), CancellationToken.None));
    }

    [Fact]
    public async Task Finds_by_name_with_the_collectors_defaults_an_agent_whose_port_file_is_in_the_targets_own_config_directory()
    {
        var name = $"gt{Guid.NewGuid():N}"[..10];
        using var target = await GoTargetProcess.StartNamedAsync(name, "-gops");
        var finder = new GopsProcessFinder(Microsoft.Extensions.Options.Options.Create(new CollectorOptions()));

        var byName = await finder.ResolveAsync(new ProcessSelector(Runtimes.Go, Name: name), CancellationToken.None);

        Assert.Equal((target.Pid, name), (byName.Pid, byName.Name));
    }

    [Fact]
    public async Task A_go_process_found_by_name_without_an_agent_port_file_is_named_in_the_refusal()
    {
        var name = $"gt{Guid.NewGuid():N}"[..10];
        using var target = await GoTargetProcess.StartNamedAsync(name);
        var finder = new GopsProcessFinder(Microsoft.Extensions.Options.Options.Create(new CollectorOptions()));

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => finder.ResolveAsync(new ProcessSelector(Runtimes.Go, Name: name), CancellationToken.None));

        Assert.Equal($"process {name} (pid {target.Pid}) has no gops agent port file in {target.GopsConfigDirectory} or {Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gops")}", failure.Message);
    }

    [Fact]
    public async Task A_go_process_without_an_agent_is_refused_in_words()
    {
        using var target = await GoTargetProcess.StartAsync();
        var finder = new GopsProcessFinder(Microsoft.Extensions.Options.Options.Create(new CollectorOptions()));

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => finder.ResolveAsync(new ProcessSelector(Runtimes.Go, Pid: target.Pid), CancellationToken.None));

        Assert.Equal($"process {target.Pid} has no gops agent: no port file named {target.Pid} in {target.GopsConfigDirectory} or {Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gops")}", failure.Message);
    }

    [Fact]
    public async Task Stack_dump_heap_profile_and_counters_through_the_agent_name_the_planted_work()
    {
        using var target = await GoTargetProcess.StartAsync("-gops", "-leak", "50", "-orders", "20000");

        var goroutines = (await kit.CaptureAsync(target.ByPid, CaptureKinds.Goroutines)).Goroutines!;
        var heap = (await kit.CaptureAsync(target.ByPid, CaptureKinds.Heap)).Heap!;
        var counters = (await kit.CaptureAsync(target.ByPid, CaptureKinds.Counters)).Counters!;

        output.WriteLine(string.Join("\n", counters.Counters.Select(c => $"{c.Name} = {c.Last} {c.Unit}")));
        Assert.Equal((50, "chan receive", "main.startLeak"), (goroutines.Groups[0].Count, goroutines.Groups[0].State, goroutines.Groups[0].CreatedBy));
        Assert.Equal("main.newPlantedLeakedOrder", heap.Top[0].Name);
        Assert.InRange(heap.Top[0].Bytes, 10L << 20, 40L << 20);
        Assert.InRange(counters.Counters.Single(c => c.Name == "heap-alloc").Last, 20_000 * 1024, 200_000_000);
        Assert.Equal("bytes", counters.Counters.Single(c => c.Name == "heap-alloc").Unit);
        Assert.InRange(counters.Counters.Single(c => c.Name == "goroutines").Last, 52, 100);
        Assert.Contains(counters.Counters, c => c.Name == "num-gc" && c.Last >= 1);
        Assert.Equal(new[] { "counters.txt", "goroutines.txt", "heap.pb.gz" }, kit.Workspace.Sink.Infos.Select(i => i.Name).Order());
    }

    [Fact]
    public async Task Requests_to_one_agent_never_overlap_even_when_captures_run_side_by_side()
    {
        using var target = await GoTargetProcess.StartAsync("-gops", "-leak", "10");

        // The agent's trace takes 5 s: without queueing, the stack dumps would connect while it runs.
        var trace = kit.CaptureAsync(target.ByPid, CaptureKinds.Trace);
        await Task.Delay(300);
        var dumps = Enumerable.Range(0, 3).Select(_ => kit.CaptureAsync(target.ByPid, CaptureKinds.Goroutines, sink: new MemoryArtifactSink())).ToList();
        await Task.WhenAll([trace, .. dumps]);

        using var http = new HttpClient();
        var overlaps = await http.GetStringAsync(new Uri(target.Pprof, "/gops-test/overlaps"));
        Assert.Equal("0", overlaps.Trim());
        Assert.All(dumps, dump => Assert.Equal(10, dump.Result.Goroutines!.Groups[0].Count));
        Assert.StartsWith("go 1.", System.Text.Encoding.ASCII.GetString(kit.Workspace.Sink.Content("trace.out"), 0, 8), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_capture_by_pid_records_the_main_module_from_the_binarys_build_information_and_one_by_address_cannot()
    {
        using var target = await GoTargetProcess.StartAsync("-gops");

        var byPid = await kit.CaptureAsync(target.ByPid, CaptureKinds.Heap);
        var byAddress = await kit.CaptureAsync(target.ByAddress, CaptureKinds.Goroutines);

        // tests/targets/go/gotarget/go.mod: "module gotarget".
        Assert.Equal("gotarget", byPid.GoMainModule);
        Assert.Null(byAddress.GoMainModule);
    }

    [Fact]
    public async Task An_agent_that_is_gone_fails_the_capture_in_words()
    {
        var target = await GoTargetProcess.StartAsync("-gops");
        var portFile = Path.Combine(target.GopsConfigDirectory, target.Pid.ToString(CultureInfo.InvariantCulture));
        var stale = await File.ReadAllTextAsync(portFile);
        var configured = new GoCaptureKit();
        configured.Options.Go.GopsConfigDirectories = [Path.Combine(kit.Workspace.Directory, "gops")];
        Directory.CreateDirectory(configured.Options.Go.GopsConfigDirectories[0]);
        await File.WriteAllTextAsync(Path.Combine(configured.Options.Go.GopsConfigDirectories[0], target.Pid.ToString(CultureInfo.InvariantCulture)), stale);
        target.Kill();

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() => configured.CaptureAsync(target.ByPid, CaptureKinds.Goroutines));

        Assert.StartsWith($"cannot reach the gops agent of process {target.Pid} on port {stale}: ", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith("(the process exited, or its port file is stale)", failure.Message, StringComparison.Ordinal);
        configured.Dispose();
        target.Dispose();
    }

    public void Dispose() => kit.Dispose();
}
