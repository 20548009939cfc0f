using System.Diagnostics;
using AutoCapture.Core.Captures;
using AutoCapture.Diffs;
using AutoCapture.Functions.Maintenance;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Go;
using AutoCapture.IntegrationTests.Support;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Baselines;

/// <summary>
/// A real Go service: a scheduled baseline while it is healthy, then planted faults (a goroutine leak in a named
/// function, a new hot function, a type that accumulates), then an alert: the diff names each planted change first,
/// above the steady work that did not change, and the Slack message leads with it.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GoBaselineDiffTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;
    private RunningApp collector = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1" });
    }

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    private const string DefaultCaptures = "[ goroutines, heap, { kind: cpu, duration: 2s } ]";

    private string Rules(string baseline, string captures = DefaultCaptures) => $$$"""
        rules:
          - name: orders-go
            match: [ 'alertname = "GoroutinesHigh"' ]
            target:
              collector: "{{{collector.Url}}}"
              process: { runtime: go, address: "http://{{ labels.instance }}" }
            chat: slack
            captures: {{{captures}}}
            baseline:
        {{{baseline}}}
        """;

    private static async Task PlantAsync(GoTargetProcess target, string path)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(target.Pprof, path), null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A webhook whose rule captures <paramref name="instance"/> on a schedule, and the slot's baseline taken.</summary>
    private async Task<(RunningApp Webhook, HousekeepingReport Report, CaptureManifest Baseline)> ScheduledBaselineAsync(string instance, string? captures = null)
    {
        var webhook = await env.StartWebhookAsync(Rules($$"""
                  schedule: every 1m
                  targets: [ { instance: "{{instance}}" } ]
            """, captures ?? DefaultCaptures), BaselineKit.QuietHousekeeping(slack));
        var report = await BaselineKit.RunHousekeepingAsync(webhook);
        return (webhook, report, Assert.Single(await BaselineKit.WaitForBaselinesAsync(env, 1, TimeSpan.FromSeconds(60))));
    }

    [Fact]
    public async Task A_scheduled_baseline_then_planted_faults_put_each_planted_change_at_the_top_of_the_diff()
    {
        using var target = await GoTargetProcess.StartAsync("-steady");
        var instance = $"127.0.0.1:{target.Pprof.Port}";
        var (webhook, report, baseline) = await ScheduledBaselineAsync(instance);
        Assert.Equal(1, report.BaselinesStarted);
        Assert.Equal((CaptureStatus.Complete, BaselineMark.Schedule, "baseline"), (baseline.Status, baseline.Baseline!.Trigger, baseline.Alert.Source));
        // Again within the same slot: nothing new.
        Assert.Equal(0, (await BaselineKit.RunHousekeepingAsync(webhook)).BaselinesStarted);

        await PlantAsync(target, "/planted/leak?n=500");
        await PlantAsync(target, "/planted/hot");
        await PlantAsync(target, "/planted/orders?n=20000");
        var id = await BaselineKit.FireAsync(env, webhook, "GoroutinesHigh", ("instance", instance));
        var manifest = await env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        var diff = manifest.Diff!;
        output.WriteLine(string.Join("\n", diff.Headlines));
        Assert.Equal((baseline.Id, BaselineMark.Schedule), (diff.BaselineId, diff.Basis));
        Assert.Empty(diff.Notes);

        var leak = diff.Goroutines!.Changes[0];
        Assert.Equal(("appeared", 0, 500, "chan receive", "main.plantedLeakyWorker", "main.startLeak"), (leak.Change, leak.Before, leak.After, leak.State, leak.Where, leak.CreatedBy));
        // The steady goroutines (idle workers, the busy loop) did not change, so they are not changes at all.
        Assert.DoesNotContain(diff.Goroutines.Changes, c => c.Where is "main.plantedIdleWorker" or "main.startSteady.func1");

        var cpu = diff.Profiles!["cpu"];
        Assert.Equal("main.plantedHotFunction", cpu.Increased[0].Function);
        Assert.InRange(cpu.Increased[0].Delta, 10, 90);
        Assert.DoesNotContain(cpu.Increased, f => f.Function == "main.plantedSteadyWork");
        Assert.Equal("main.plantedSteadyWork", cpu.Decreased[0].Function);

        var heap = diff.Profiles["heap"];
        Assert.Equal(("inuse_space", "main.newPlantedLeakedOrder"), (heap.SampleType, heap.Increased[0].Function));
        Assert.DoesNotContain(heap.Increased, f => f.Function == "main.newPlantedCacheEntry");

        Assert.StartsWith("+500 goroutines [chan receive] in main.plantedLeakyWorker (0 → 500, created by main.startLeak)", diff.Headlines[0], StringComparison.Ordinal);
        Assert.StartsWith("cpu: main.plantedHotFunction", diff.Headlines[1], StringComparison.Ordinal);
        Assert.Contains(diff.Headlines, h => h.StartsWith("heap: main.newPlantedLeakedOrder", StringComparison.Ordinal));

        // The diff artifacts are listed first, intact in the store, and the full diff.json is there.
        Assert.Equal("diff.json", manifest.Artifacts[0].Name);
        Assert.Equal(["cpu.diff.pb.gz", "heap.diff.pb.gz"], manifest.Artifacts.Skip(1).Take(2).Select(a => a.Name).Order());
        await BaselineKit.AssertArtifactsIntactAsync(env, manifest);
        var full = AutoCapture.Core.Json.AutoCaptureJson.Deserialize<AutoCapture.Core.Summaries.CaptureDiff>(await BaselineKit.ArtifactAsync(env, id, DiffArtifacts.DiffJson));
        Assert.Equal(diff.Headlines, full.Headlines);
        Assert.True(full.Goroutines!.Changes.Count >= diff.Goroutines.Changes.Count);

        // go tool pprof reads the comparison profile and shows the new hot function as grown.
        var file = Path.Combine(env.Root, "cpu.diff.pb.gz");
        await File.WriteAllBytesAsync(file, await BaselineKit.ArtifactAsync(env, id, "cpu.diff.pb.gz"));
        var top = await GoToolPprofTopAsync(file);
        output.WriteLine(top);
        var hotLine = top.Split('\n').First(l => l.TrimEnd().EndsWith("main.plantedHotFunction", StringComparison.Ordinal));
        Assert.DoesNotContain("-", hotLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], StringComparison.Ordinal);

        // Slack: one message, for the alert's capture (baselines never post), leading with the comparison.
        var message = Assert.Single(slack.Accepted);
        var lines = BaselineKit.FindingLines(message);
        Assert.StartsWith($"Compared with the scheduled baseline (capture {baseline.Id} of ", lines[0], StringComparison.Ordinal);
        Assert.Equal("  " + diff.Headlines[0], lines[1]);
    }

    [Fact]
    public async Task A_steady_heap_shows_no_heap_change_though_a_goroutine_dump_was_asked_for_first()
    {
        using var target = await GoTargetProcess.StartAsync("-steady");
        var instance = $"127.0.0.1:{target.Pprof.Port}";
        // The dump is listed first: serving it allocates gzip writers and buffers in the target.
        var (webhook, _, baseline) = await ScheduledBaselineAsync(instance, "[ goroutines, heap ]");

        var manifest = await env.WaitForOutcomeAsync(await BaselineKit.FireAsync(env, webhook, "GoroutinesHigh", ("instance", instance)), TimeSpan.FromSeconds(60));

        output.WriteLine(string.Join("\n", manifest.Diff!.Headlines));
        Assert.Equal((CaptureStatus.Complete, CaptureStatus.Complete), (baseline.Status, manifest.Status));
        Assert.Equal(new[] { CaptureKinds.Heap, CaptureKinds.Goroutines }, manifest.Kinds.Select(k => k.Kind));
        Assert.DoesNotContain(manifest.Diff.Headlines, h => h.StartsWith("heap:", StringComparison.Ordinal));
        Assert.DoesNotContain(manifest.Diff.Profiles!["heap"].Increased, f => f.Function.StartsWith("compress/", StringComparison.Ordinal) || f.Function.Contains("pprof", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_peer_captured_alongside_is_the_baseline_and_the_message_waits_for_it()
    {
        using var sick = await GoTargetProcess.StartAsync("-steady");
        using var healthy = await GoTargetProcess.StartAsync("-steady");
        var sickInstance = $"127.0.0.1:{sick.Pprof.Port}";
        var healthyInstance = $"127.0.0.1:{healthy.Pprof.Port}";
        // Heap profiles of both at once on one collector: the heap guard is for .NET heap walks, not Go profiles.
        var webhook = await env.StartWebhookAsync(Rules($$"""
                  peer: true
                  targets: [ { instance: "{{sickInstance}}" }, { instance: "{{healthyInstance}}" } ]
            """, "[ goroutines, heap, { kind: cpu, duration: 2s } ]"), BaselineKit.QuietHousekeeping(slack));
        await PlantAsync(sick, "/planted/leak?n=300");
        await PlantAsync(sick, "/planted/hot");

        var id = await BaselineKit.FireAsync(env, webhook, "GoroutinesHigh", ("instance", sickInstance));
        var manifest = await env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        var peer = Assert.Single(await BaselineKit.WaitForBaselinesAsync(env, 1, TimeSpan.FromSeconds(30)));
        Assert.Equal((BaselineMark.Peer, id, $"address=http://{healthyInstance} on 127.0.0.1"), (peer.Baseline!.Trigger, peer.Baseline.ForCapture, peer.Target.ToString()));
        Assert.Equal(peer.Id, manifest.PeerBaselineId);
        Assert.Equal((peer.Id, BaselineMark.Peer), (manifest.Diff!.BaselineId, manifest.Diff.Basis));
        Assert.Empty(manifest.Diff.Notes);
        Assert.Equal(("appeared", 300, "main.plantedLeakyWorker"), (manifest.Diff.Goroutines!.Changes[0].Change, manifest.Diff.Goroutines.Changes[0].After, manifest.Diff.Goroutines.Changes[0].Where));
        Assert.Equal("main.plantedHotFunction", manifest.Diff.Profiles!["cpu"].Increased[0].Function);
        Assert.Contains("heap", manifest.Diff.Profiles.Keys);
        Assert.Empty(peer.Notes);
        // Both ran at the same time: the peer's capture overlapped the alert's.
        Assert.True(peer.CreatedAt - manifest.CreatedAt < TimeSpan.FromSeconds(5));
        var message = Assert.Single(slack.Accepted);
        Assert.StartsWith($"Compared with peer address=http://{healthyInstance} on 127.0.0.1 (capture {peer.Id}", BaselineKit.FindingLines(message)[0], StringComparison.Ordinal);
    }

    private static async Task<string> GoToolPprofTopAsync(string file)
    {
        var start = new ProcessStartInfo("go", ["tool", "pprof", "-top", "-nodecount=20", file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["GOFLAGS"] = "-mod=mod", ["GOPROXY"] = "off", ["GOTOOLCHAIN"] = "local" },
        };
        using var pprof = Process.Start(start)!;
        var text = await pprof.StandardOutput.ReadToEndAsync();
        var errors = await pprof.StandardError.ReadToEndAsync();
        await pprof.WaitForExitAsync();
        Assert.True(pprof.ExitCode == 0, errors);
        return text;
    }
}
