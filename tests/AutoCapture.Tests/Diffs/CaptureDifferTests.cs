using System.Text;
using System.Text.Json;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Profiles.Histograms;
using AutoCapture.Tests.Profiles;

namespace AutoCapture.Tests.Diffs;

/// <summary>Captures held in memory: a manifest and artifacts by name.</summary>
internal sealed class MemoryCapture(CaptureManifest manifest, Dictionary<string, byte[]> artifacts) : ICaptureFiles
{
    public CaptureManifest Manifest { get; } = manifest with
    {
        Artifacts = [.. artifacts.Select(a => new ArtifactInfo(a.Key, a.Key.Split('.')[0], "application/octet-stream", a.Value.Length, "00"))],
    };

    public Task<Stream?> OpenAsync(string artifactName, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(artifacts.TryGetValue(artifactName, out var data) ? new MemoryStream(data, writable: false) : null);

    public static CaptureManifest NewManifest(string id, string runtime, CaptureSummary? summary, params string[] kinds) => new()
    {
        Id = id,
        Status = CaptureStatus.Complete,
        Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "f", "i"),
        Rule = "rule",
        Target = new CaptureTarget("http://c:7080", "web-1", new ProcessSelector(runtime, Name: "app")),
        Captures = [.. kinds.Select(k => new CaptureSpec(k))],
        CreatedAt = DateTimeOffset.UnixEpoch,
        CompletedAt = DateTimeOffset.UnixEpoch.AddHours(1),
        Kinds = [.. kinds.Select(k => new KindResult(k, KindOutcome.Succeeded, null, 1))],
        Summary = summary,
    };
}

/// <summary>Collects what a diff writes.</summary>
internal sealed class MemoryWriter : IDiffArtifactWriter
{
    public Dictionary<string, byte[]> Written { get; } = [];

    public async Task<ArtifactInfo> WriteAsync(string name, string contentType, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken);
        Written[name] = buffer.ToArray();
        return new ArtifactInfo(name, DiffArtifacts.Kind, contentType, buffer.Length, "00");
    }
}

public sealed class CaptureDifferTests
{
    private static byte[] Cpu(int steady, int hot)
    {
        var p = SyntheticProfiles.Cpu();
        p.Sample([steady, steady * 10_000_000L], p.Location("main.steady"));
        if (hot > 0)
        {
            p.Sample([hot, hot * 10_000_000L], p.Location("main.hot"));
        }

        return p.Gzipped();
    }

    [Fact]
    public async Task A_go_capture_is_compared_kind_by_kind_with_headlines_notes_and_artifacts()
    {
        var baseline = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b1", Runtimes.Go, null, "cpu", "goroutines"), new()
        {
            ["cpu.pb.gz"] = Cpu(100, 0),
            ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(idle: 5, leaked: 0)),
        });
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000a1", Runtimes.Go, null, "cpu", "goroutines", "heap", "trace"), new()
        {
            ["cpu.pb.gz"] = Cpu(50, 50),
            ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(idle: 5, leaked: 300)),
        });
        var writer = new MemoryWriter();

        var diff = await CaptureDiffer.DiffAsync(incident, baseline, "schedule", writer, CancellationToken.None);

        Assert.Equal(("20260101-00000000000000b1", "schedule", "name=app on web-1"), (diff.BaselineId, diff.Basis, diff.BaselineTarget));
        Assert.Equal("main.hot", diff.Profiles!["cpu"].Increased[0].Function);
        Assert.Equal(("appeared", 300), (diff.Goroutines!.Changes[0].Change, diff.Goroutines.Changes[0].After));
        Assert.Equal(
            new[] { "+300 goroutines [chan receive] in main.leakyWorker (0 → 300, created by main.startLeak)", "cpu: main.hot 0.0% → 50.0% of cpu (+50.0 pts; 0 ms → 500 ms)" },
            diff.Headlines);
        Assert.Equal(new[] { "heap: not compared: the baseline has no heap capture", "trace: not compared: the baseline has no trace capture" }, diff.Notes);
        Assert.Equal(new[] { "diff.json", "cpu.diff.pb.gz" }, diff.Artifacts);
        Assert.Equal(diff.Artifacts.Order(), writer.Written.Keys.Order());
        var stored = AutoCaptureJson.Deserialize<CaptureDiff>(writer.Written["diff.json"]);
        Assert.Equal(diff.Headlines, stored.Headlines);
        Assert.Equal(AutoCaptureJson.Serialize(diff.Goroutines), AutoCaptureJson.Serialize(stored.Goroutines));
    }

    [Fact]
    public async Task Dotnet_cpu_heap_stacks_and_counters_are_compared_from_their_histograms_and_summaries()
    {
        static byte[] Json<T>(T value) => AutoCaptureJson.Serialize(value);
        static byte[] Speedscope(string frame) => Encoding.UTF8.GetBytes($$"""{"$schema":"{{SpeedscopeMerger.Schema}}","shared":{"frames":[{"name":"{{frame}}"}]},"profiles":[{"type":"evented","name":"Thread (1)","unit":"milliseconds","startValue":0,"endValue":2,"events":[{"type":"O","frame":0,"at":0},{"type":"C","frame":0,"at":2}]}]}""");
        var counters = new RuntimeCountersSummary(5, [new CounterStat("gc-heap-size", "GC Heap Size", "MB", 11, 10, 12, 5)]);
        var stacks = new ThreadStacksSummary(1, [new ThreadStack(1, ["app!App.Main()"])]);
        var baseline = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b2", Runtimes.Dotnet, new CaptureSummary { Counters = counters, Stacks = stacks }, "cpu", "heap", "stacks", "counters"), new()
        {
            ["cpu.functions.json"] = Json(FunctionHistogram.Create("samples", "count", 100, [new FunctionValue("app!App.Steady()", 100, 100)])),
            ["cpu.speedscope.json"] = Speedscope("app!App.Steady()"),
            ["heap.types.json"] = Json(TypeHistogram.Create([new TypeValue("App.Cache", 1000, 10)])),
        });
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000a2", Runtimes.Dotnet, new CaptureSummary
        {
            Counters = counters with { Counters = [new CounterStat("gc-heap-size", "GC Heap Size", "MB", 90, 60, 90, 5)] },
            Stacks = new ThreadStacksSummary(3, [new ThreadStack(1, ["app!App.Main()"]), new ThreadStack(2, ["[native code]", "app!App.Stuck()"]), new ThreadStack(3, ["[native code]", "app!App.Stuck()"])]),
        }, "cpu", "heap", "stacks", "counters"), new()
        {
            ["cpu.functions.json"] = Json(FunctionHistogram.Create("samples", "count", 100, [new FunctionValue("app!App.Steady()", 40, 40), new FunctionValue("app!App.Hot()", 60, 60)])),
            ["cpu.speedscope.json"] = Speedscope("app!App.Hot()"),
            ["heap.types.json"] = Json(TypeHistogram.Create([new TypeValue("App.Cache", 1000, 10), new TypeValue("App.Session", 5_000_000, 5000)])),
        });
        var writer = new MemoryWriter();

        var diff = await CaptureDiffer.DiffAsync(incident, baseline, "peer", writer, CancellationToken.None);

        Assert.Empty(diff.Notes);
        Assert.Equal(("app!App.Hot()", 60.0), (diff.Profiles!["cpu"].Increased[0].Function, diff.Profiles["cpu"].Increased[0].Delta));
        Assert.Equal("App.Session", diff.HeapTypes!.ByBytes[0].Type);
        Assert.Equal(("appeared", 2, "app!App.Stuck()"), (diff.Threads!.Changes[0].Change, diff.Threads.Changes[0].After, diff.Threads.Changes[0].Where));
        Assert.Equal("gc-heap-size", diff.Counters!.Beyond[0].Name);
        Assert.Equal(new[] { "diff.json", "cpu.diff.speedscope.json" }, diff.Artifacts);
        using var merged = JsonDocument.Parse(writer.Written["cpu.diff.speedscope.json"]);
        Assert.Equal(new[] { "app!App.Hot()", "app!App.Steady()" }, merged.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(new[] { "incident · Thread (1)", "baseline · Thread (1)" }, merged.RootElement.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(1, merged.RootElement.GetProperty("profiles")[1].GetProperty("events")[0].GetProperty("frame").GetInt32());
        Assert.Equal(
            new[] { "+2 threads [in native code] in app!App.Stuck() (0 → 2)", "cpu: app!App.Hot() 0.0% → 60.0% of samples (+60.0 pts; 0 → 60)", "heap: App.Session +4.8 MiB (0 B → 4.8 MiB), +5,000 objects", "counter GC Heap Size: 90 MB (normal 8.8 MB to 13.2 MB)" },
            diff.Headlines);
    }

    [Fact]
    public async Task Missing_or_unreadable_artifacts_become_notes_and_other_kinds_are_still_compared()
    {
        var baseline = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b3", Runtimes.Go, null, "cpu", "heap", "goroutines"), new()
        {
            ["cpu.pb.gz"] = Cpu(100, 0),
            ["heap.pb.gz"] = [0x1f, 0x8b, 1, 2, 3],
        });
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000a3", Runtimes.Go, null, "cpu", "heap", "goroutines"), new()
        {
            ["cpu.pb.gz"] = Cpu(10, 90),
            ["heap.pb.gz"] = Cpu(1, 1),
            ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(1, 1)),
        });

        var diff = await CaptureDiffer.DiffAsync(incident, baseline, "chosen", writer: null, CancellationToken.None);

        Assert.Equal("main.hot", diff.Profiles!["cpu"].Increased[0].Function);
        Assert.Equal(2, diff.Notes.Count);
        Assert.StartsWith("heap: not compared: truncated gzip", diff.Notes[0], StringComparison.Ordinal);
        Assert.Equal("goroutines: not compared: capture 20260101-00000000000000b3 has no goroutines.txt (taken before diffs were supported, or deleted)", diff.Notes[1]);
        Assert.Empty(diff.Artifacts);
    }

    [Fact]
    public async Task A_baseline_of_another_runtime_is_not_compared()
    {
        var baseline = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b4", Runtimes.Dotnet, null, "cpu"), []);
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000a4", Runtimes.Go, null, "cpu"), new() { ["cpu.pb.gz"] = Cpu(1, 1) });

        var diff = await CaptureDiffer.DiffAsync(incident, baseline, "chosen", writer: null, CancellationToken.None);

        Assert.Equal(new[] { "nothing compared: the baseline is a dotnet target, this capture a go one" }, diff.Notes);
        Assert.Null(diff.Profiles);
        Assert.Empty(diff.Headlines);
    }

    [Fact]
    public async Task Each_kind_is_compared_with_the_first_baseline_that_captured_it()
    {
        var newest = new MemoryCapture(MemoryCapture.NewManifest("20260102-00000000000000b5", Runtimes.Go, null, "cpu"), new() { ["cpu.pb.gz"] = Cpu(100, 0) });
        var older = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b6", Runtimes.Go, null, "cpu", "goroutines"), new()
        {
            ["cpu.pb.gz"] = Cpu(1, 99),
            ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(idle: 3, leaked: 0)),
        });
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260103-00000000000000a5", Runtimes.Go, null, "cpu", "goroutines", "heap"), new()
        {
            ["cpu.pb.gz"] = Cpu(50, 50),
            ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(idle: 3, leaked: 7)),
        });

        var diff = await CaptureDiffer.DiffAsync(incident, [new DiffBaseline(newest, "peer"), new DiffBaseline(older, "schedule")], writer: null, CancellationToken.None);

        // cpu against the newest (main.hot grew from nothing), goroutines against the older one, heap against none.
        Assert.Equal(("20260102-00000000000000b5", "peer"), (diff.BaselineId, diff.Basis));
        Assert.Equal(0, diff.Profiles!["cpu"].Increased[0].BaselineFlat);
        Assert.Equal(7, diff.Goroutines!.Changes[0].After);
        Assert.Equal(new Dictionary<string, string> { ["cpu"] = "20260102-00000000000000b5", ["goroutines"] = "20260101-00000000000000b6" }, diff.BaselineByKind);
        Assert.Equal(new[] { "heap: not compared: no baseline has a heap capture" }, diff.Notes);
    }

    [Fact]
    public void Trimming_keeps_the_first_entries_of_every_list()
    {
        var many = Enumerable.Range(0, 9).Select(i => new GroupDelta("appeared", 0, 10 - i, "s", $"f{i}", [], null)).ToList();
        var diff = new CaptureDiff { BaselineId = "b", Basis = "schedule", BaselineTarget = "t", Goroutines = new GroupsDiff(0, 90, 0, many) };

        var trimmed = CaptureDiffer.Trim(diff, 3);

        Assert.Equal(new[] { "f0", "f1", "f2" }, trimmed.Goroutines!.Changes.Select(c => c.Where));
        Assert.Null(trimmed.Profiles);
    }
}
