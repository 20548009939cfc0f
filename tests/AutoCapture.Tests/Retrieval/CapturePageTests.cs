using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Tests.Chat;

namespace AutoCapture.Tests.Retrieval;

/// <summary>The capture page's tables for every summary section, with whatever a name holds encoded, and no script of its own.</summary>
public sealed class CapturePageTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("autocapture-page-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    private PublicUrls Urls() => TestUrls.For(_store);

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

    [Fact]
    public void A_capture_with_a_diff_leads_with_the_comparison_encoded_and_linked()
    {
        var manifest = new CaptureManifest
        {
            Id = "20261121-00000000000000aa",
            Status = CaptureStatus.Complete,
            Alert = new Alert("alertmanager", "GoroutinesHigh", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0"),
            Rule = "orders-go",
            Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Name: "orders")),
            Captures = [new CaptureSpec(CaptureKinds.Cpu)],
            CreatedAt = DateTimeOffset.UnixEpoch,
            Artifacts =
            [
                new ArtifactInfo("diff.json", "diff", "application/json", 900, new string('d', 64)),
                new ArtifactInfo("cpu.diff.pb.gz", "diff", "application/octet-stream", 700, new string('e', 64)),
                new ArtifactInfo("cpu.pb.gz", CaptureKinds.Cpu, "application/octet-stream", 2048, new string('a', 64)),
            ],
            Summary = new CaptureSummary
            {
                Profiles = new Dictionary<string, PprofSummary>
                {
                    ["cpu"] = new("cpu", "nanoseconds", 3_000_000_000, 300, 3, 10_000_000, "cpu", "nanoseconds", [], [new PprofFrameStat("main.spin", 2_900_000_000, 96.7)], []),
                },
            },
            Diff = new CaptureDiff
            {
                BaselineId = "20261120-00000000000000bb",
                Basis = BaselineMark.Schedule,
                BaselineTarget = "name=orders on web-3",
                BaselineCompletedAt = DateTimeOffset.UnixEpoch,
                Headlines = ["+500 goroutines [chan receive] in main.leak<T> (0 → 500)"],
                Profiles = new Dictionary<string, ProfileDiff>
                {
                    ["cpu"] = new("cpu", "nanoseconds", 1_000_000_000, 2_000_000_000, 5,
                        [new FunctionDelta("main.hot<script>", 0, 900_000_000, 0, 45.5, 0, 45.5, 45.5)],
                        [new FunctionDelta("main.steady", 1_000_000_000, 1_100_000_000, 100, 54.5, 100, 54.5, -45.5)]),
                },
                Goroutines = new GroupsDiff(26, 526, 7, [new GroupDelta("appeared", 0, 500, "chan receive", "main.leak<T>", ["main.leak<T>"], "main.start")]),
                Notes = ["heap: not compared: the baseline has no heap capture"],
                Artifacts = ["diff.json", "cpu.diff.pb.gz"],
            },
        };

        var html = CapturePage.Render(manifest, Urls());

        var comparison = html.IndexOf("<section id=\"diff\"><h2>Compared with baseline 20261120-00000000000000bb</h2>", StringComparison.Ordinal);
        Assert.True(comparison > 0, html);
        Assert.True(comparison < html.IndexOf("<h2>Capture</h2>", StringComparison.Ordinal), "the comparison comes before the capture's details");
        Assert.True(comparison < html.IndexOf("<table id=\"pprof-cpu\">", StringComparison.Ordinal));
        Assert.Contains("Against the scheduled baseline: name=orders on web-3, finished 1970-01-01 00:00:00Z.", html, StringComparison.Ordinal);
        Assert.Contains("<li>&#x2B;500 goroutines [chan receive] in main.leak&lt;T&gt; (0 &#x2192; 500)</li>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td class=\"num\">&#x2B;45.5</td><td class=\"num\">0.0</td><td class=\"num\">45.5</td><td class=\"frame\">main.hot&lt;script&gt;</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">&#x2212;45.5</td>", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"diff-goroutines\">", html, StringComparison.Ordinal);
        Assert.Contains("<td>appeared</td><td>chan receive</td><td>main.start</td><td class=\"frame\">main.leak&lt;T&gt;</td>", html, StringComparison.Ordinal);
        Assert.Contains("Notes: heap: not compared: the baseline has no heap capture", html, StringComparison.Ordinal);
        var links = html[html.IndexOf("<ul id=\"diff-artifacts\">", StringComparison.Ordinal)..];
        Assert.Contains("https://autocapture.example.com/api/captures/20261121-00000000000000aa/artifacts/diff.json?token=", links, StringComparison.Ordinal);
        Assert.Contains(">cpu.diff.pb.gz</a>: this capture minus the baseline as a pprof profile (go tool pprof -top)", links, StringComparison.Ordinal);
        // The embedded flame graph is the capture's own profile; the comparison is one link away.
        Assert.True(FlameGraphViewer.IsInstalled, "the viewer is copied into the test output");
        Assert.Contains("<p>cpu.pb.gz in speedscope. ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_capture_without_a_diff_has_no_comparison_section()
    {
        var html = CapturePage.Render(new CaptureManifest
        {
            Id = "20261121-00000000000000cc",
            Status = CaptureStatus.Complete,
            Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0"),
            Rule = "r",
            Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Name: "checkout")),
            Captures = [new CaptureSpec(CaptureKinds.Cpu)],
            CreatedAt = DateTimeOffset.UnixEpoch,
        }, Urls());

        Assert.Contains("<h2>Capture</h2>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Compared with baseline", html, StringComparison.Ordinal);
    }
}
