using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Links;

namespace AutoCapture.Tests.Chat;

/// <summary>The short lines a responder reads first: who holds the heap, which goroutines pile up, which counters stand out.</summary>
public sealed class ChatFindingsTests : IDisposable
{
    private readonly string storeDirectory = Directory.CreateTempSubdirectory("autocapture-chat-").FullName;

    private PublicUrls Urls => TestUrls.For(storeDirectory);

    public void Dispose() => Directory.Delete(storeDirectory, recursive: true);

    private static CaptureManifest Manifest(CaptureSummary summary) => new()
    {
        Id = "20261121-0123456789abcdef",
        Status = CaptureStatus.Complete,
        Alert = new Alert("alertmanager", "GoroutineLeak", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0"),
        Rule = "r",
        Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Runtimes.Go, Address: "http://10.1.2.3:6060")),
        Captures = [new CaptureSpec(CaptureKinds.Goroutines)],
        CreatedAt = DateTimeOffset.UnixEpoch,
        Summary = summary,
    };

    [Fact]
    public void Goroutine_groups_heap_types_and_standing_out_counters_get_a_line_each()
    {
        var summary = new CaptureSummary
        {
            Goroutines = new GoroutineSummary(5012, 7, 42, [new GoroutineGroup(5000, "chan receive", 1, 42, ["runtime.gopark", "main.plantedLeakyWorker"], "main.startLeak", false)]),
            Heap = new HeapSummary("type", 100L << 20, 50_000, [new HeapEntry("App.PlantedLeakedOrder", 90L << 20, 48_000, 90)], 24.4),
            Counters = new RuntimeCountersSummary(5, [
                new CounterStat("cpu-usage", "CPU Usage", "%", 95, 90, 97, 5),
                new CounterStat("gc-heap-size", "GC Heap Size", "MB", 120.5, 119, 121, 5),
                new CounterStat("threadpool-queue-length", "ThreadPool Queue Length", "", 3, 0, 3, 5),
                new CounterStat("exception-count", "Exception Count", "/s", 0, 0, 0, 5),
            ]),
        };

        var findings = ChatMessage.For(Manifest(summary), Urls).Findings;

        Assert.Contains("Goroutines: 5,012 in 7 groups, longest wait 42 min. Largest:", findings);
        Assert.Contains("  5000 × [chan receive, up to 42 min] main.plantedLeakyWorker", findings);
        Assert.Contains("Heap: 100 MiB in 50,000 objects (snapshot GC paused the process 24.4 ms). Largest by type:", findings);
        Assert.Contains("   90.0%  App.PlantedLeakedOrder (90 MiB, 48,000 objects)", findings);
        Assert.Contains("Counters over 5 s: ⚠ CPU up to 97%, thread pool queue up to 3 (threads unknown), 0 exceptions/s, GC heap 120.5 MB", findings);
    }

    [Fact]
    public void Go_mutex_and_block_profiles_lead_with_the_own_function_the_delay_is_under()
    {
        static PprofSummary Profile(long total, params PprofFrameStat[] cum) => new(
            "delay", "nanoseconds", total, 40, 0, 1, "contentions", "count", [new("contentions", "count", 40), new("delay", "nanoseconds", total)],
            [new("sync.(*Mutex).Unlock", total, 100)], cum);
        var summary = new CaptureSummary
        {
            Profiles = new Dictionary<string, PprofSummary>
            {
                [CaptureKinds.Mutex] = Profile(7_400_000_000, new("runtime.goexit", 7_400_000_000, 100), new("main.plantedLedgerFlush", 7_000_000_000, 94.6), new("main.main", 400_000_000, 5.4)),
                [CaptureKinds.Block] = Profile(2_000_000_000, new("runtime.goexit", 2_000_000_000, 100), new("sync.(*Mutex).Lock", 2_000_000_000, 100), new("main.plantedLedgerPost", 1_900_000_000, 95)),
            },
        };

        var message = ChatMessage.For(Manifest(summary), Urls);

        Assert.Equal("goroutines waited for locks held in main.plantedLedgerFlush for 7 s in all (own code, mutex profile; innermost: sync.(*Mutex).Unlock)", message.Lead);
        Assert.Contains("goroutines were blocked in main.plantedLedgerPost for 1.9 s in all (own code, block profile; innermost: sync.(*Mutex).Unlock)", message.Findings);
        Assert.Contains("mutex profile: 7.4 s of delay in all since profiling began. Innermost:", message.Findings);
    }

    [Fact]
    public void A_lock_profile_without_delay_or_without_application_frames_makes_no_finding()
    {
        var summary = new CaptureSummary
        {
            Profiles = new Dictionary<string, PprofSummary>
            {
                [CaptureKinds.Mutex] = new("delay", "nanoseconds", 0, 0, 0, 1, "contentions", "count", [], [], []),
                [CaptureKinds.Block] = new("delay", "nanoseconds", 5_000_000, 1, 0, 1, "contentions", "count", [], [new("runtime.chanrecv1", 5_000_000, 100)], [new("runtime.main", 5_000_000, 100)]),
            },
        };

        Assert.Empty(ChatMessage.For(Manifest(summary), Urls).Findings);
    }

    [Fact]
    public void No_new_section_means_no_new_line()
    {
        Assert.Empty(ChatMessage.For(Manifest(new CaptureSummary()), Urls).Findings);
    }

    [Theory]
    [InlineData(CaptureStatus.Pending, "web-3", "Capturing goroutines of the Go process at http://10.1.2.3:6060 on web-3")]
    [InlineData(CaptureStatus.Pending, "10.1.2.3", "Capturing goroutines of the Go process at http://10.1.2.3:6060")]
    [InlineData(CaptureStatus.Complete, "10.1.2.3", "Captured goroutines of the Go process at http://10.1.2.3:6060")]
    public void A_target_by_address_is_named_by_it_once_and_its_host_only_when_that_says_more(CaptureStatus status, string host, string headline)
    {
        var manifest = Manifest(new CaptureSummary()) with { Status = status, Target = new CaptureTarget("http://c:7080", host, new ProcessSelector(Runtimes.Go, Address: "http://10.1.2.3:6060")) };
        if (status == CaptureStatus.Complete)
        {
            manifest = manifest with { Process = new ResolvedProcess(0, "10.1.2.3:6060", null, "http://10.1.2.3:6060") };
        }

        Assert.Equal(headline, ChatMessage.For(manifest, Urls).Headline);
    }
}
