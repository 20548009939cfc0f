using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace AutoCapture.Tests.Retrieval;

/// <summary>The capture page's tables for every summary section, with whatever a name holds encoded, and no script of its own.</summary>
public sealed class CapturePageTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("autocapture-page-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    private PublicUrls Urls() => new(
        Microsoft.Extensions.Options.Options.Create(new AutoCaptureOptions { PublicBaseUrl = "https://autocapture.example.com", Links = { SigningKey = new string('k', 32) } }),
        new NoServer(),
        new FolderStore(_store),
        TimeProvider.System);

    [Fact]
    public void Every_summary_section_becomes_a_table_and_names_are_encoded()
    {
        var manifest = new CaptureManifest
        {
            Id = "20261121-0123456789abcdef",
            Status = CaptureStatus.Complete,
            Alert = new Alert("alertmanager", "Leak<script>", AlertStatus.Firing, new Dictionary<string, string> { ["pod"] = "checkout-7f9\"><b>" }, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0"),
            Rule = "r",
            Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Name: "checkout")),
            Captures = [new CaptureSpec(CaptureKinds.Heap)],
            CreatedAt = DateTimeOffset.UnixEpoch,
            Artifacts = [new ArtifactInfo("cpu.pb.gz", CaptureKinds.Cpu, "application/octet-stream", 2048, new string('a', 64))],
            Summary = new CaptureSummary
            {
                Heap = new HeapSummary("type", 100L << 20, 5000, [new HeapEntry("List<Order>", 90L << 20, 4000, 90)], 12.5),
                Goroutines = new GoroutineSummary(5012, 2, 42, [new GoroutineGroup(5000, "chan receive", 3, 42, ["runtime.gopark", "main.leak"], "main.start", false)]),
                Counters = new RuntimeCountersSummary(5, [new CounterStat("cpu-usage", "CPU Usage", "%", 95, 90, 97, 5)]),
                Dump = new DumpSummary("with-heap", 300L << 20, 4.2),
                Profiles = new Dictionary<string, PprofSummary>
                {
                    ["cpu"] = new("cpu", "nanoseconds", 3_000_000_000, 300, 3, 10_000_000, "cpu", "nanoseconds", [], [new PprofFrameStat("main.spin", 2_900_000_000, 96.7)], []),
                },
            },
        };

        var html = CapturePage.Render(manifest, Urls());

        foreach (var table in new[] { "capture", "labels", "heap", "goroutines", "counters", "dump", "pprof-cpu", "artifacts" })
        {
            Assert.Contains($"<table id=\"{table}\">", html, StringComparison.Ordinal);
        }

        Assert.Contains("List&lt;Order&gt;", html, StringComparison.Ordinal);
        Assert.Contains("Leak&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("checkout-7f9&quot;&gt;&lt;b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("5,000", html, StringComparison.Ordinal);
        Assert.Contains("main.leak", html, StringComparison.Ordinal);
        Assert.Contains("main.spin", html, StringComparison.Ordinal);
    }

    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
