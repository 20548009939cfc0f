using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Diffs;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Baselines;

/// <summary>
/// A real .NET process: a scheduled baseline of its steady work, then planted faults (a new hot method, a type that
/// starts accumulating, threads stuck in a named method), then an alert: each planted change tops its section of
/// the diff, and the steady work that did not change is not ranked above it.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class DotnetBaselineDiffTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string FaultHotMethod = "autocapture-testtarget!AutoCapture.TestTarget.PlantedFaults.PlantedFaultHotMethod(int64)";
    private const string SteadyHotMethod = "autocapture-testtarget!AutoCapture.TestTarget.PlantedWork.PlantedHotMethod(int64)";
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;
    private RunningApp collector = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-baseline-" });
    }

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    [Fact]
    public async Task A_new_hot_method_an_accumulating_type_and_stuck_threads_top_the_diff_against_the_scheduled_baseline()
    {
        using var target = await TestTargetProcess.StartAsync("steady", $"tag-baseline-{Guid.NewGuid():N}");
        var webhook = await env.StartWebhookAsync($$$"""
            rules:
              - name: dotnet-orders
                match: [ 'alertname = "HighCPU"' ]
                target:
                  collector: "{{{collector.Url}}}"
                  host: "{{ labels.host }}"
                  process: { commandLine: "{{ labels.tag }}" }
                chat: slack
                captures: [ { kind: cpu, duration: 2s }, heap, stacks ]
                baseline:
                  schedule: every 1m
                  targets: [ { host: web-7, tag: "{{{target.Tag}}}" } ]
            """, BaselineKit.QuietHousekeeping(slack));

        await BaselineKit.RunHousekeepingAsync(webhook);
        var baseline = Assert.Single(await BaselineKit.WaitForBaselinesAsync(env, 1, TimeSpan.FromSeconds(90)));
        Assert.Equal(CaptureStatus.Complete, baseline.Status);

        await target.SwitchOnAsync("cpu");
        await target.SwitchOnAsync("heap");
        await target.SwitchOnAsync("threads");
        var id = await BaselineKit.FireAsync(env, webhook, "HighCPU", ("host", "web-7"), ("tag", target.Tag));
        var manifest = await env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(120));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        var diff = manifest.Diff!;
        output.WriteLine(string.Join("\n", manifest.Kinds.Concat(baseline.Kinds).Select(k => $"{k.Kind} {k.Outcome} {k.Error}")));
        output.WriteLine(string.Join("\n", diff.Headlines));
        Assert.Equal((baseline.Id, BaselineMark.Schedule), (diff.BaselineId, diff.Basis));
        Assert.Empty(diff.Notes);

        var cpu = diff.Profiles!["cpu"];
        output.WriteLine(string.Join("\n", cpu.Increased.Concat(cpu.Decreased).Select(f => $"{f.Delta,7:0.0} {f.Function}")));
        Assert.Equal(FaultHotMethod, cpu.Increased[0].Function);
        Assert.DoesNotContain(cpu.Increased, f => f.Function == SteadyHotMethod);
        Assert.Equal(SteadyHotMethod, cpu.Decreased[0].Function);

        var heap = diff.HeapTypes!;
        Assert.Equal("AutoCapture.TestTarget.PlantedSession", heap.ByBytes[0].Type);
        Assert.Equal((0L, 20_000L), (heap.ByBytes[0].BaselineObjects, heap.ByBytes[0].Objects));
        Assert.Equal("AutoCapture.TestTarget.PlantedSession", heap.ByObjects[0].Type);
        Assert.DoesNotContain(heap.ByBytes, t => t.Type == "AutoCapture.TestTarget.PlantedCacheEntry");

        var stuck = diff.Threads!.Changes[0];
        Assert.Equal(("appeared", 0, 6), (stuck.Change, stuck.Before, stuck.After));
        Assert.Contains("PlantedFaults.PlantedStuckThread()", stuck.Where, StringComparison.Ordinal);
        // The steady idle workers wait where they always did: not a change.
        Assert.DoesNotContain(diff.Threads.Changes, c => c.Where.Contains("PlantedIdleWorker", StringComparison.Ordinal));

        Assert.StartsWith("+6 threads [in native code] in autocapture-testtarget!AutoCapture.TestTarget.PlantedFaults.PlantedStuckThread()", diff.Headlines[0], StringComparison.Ordinal);
        Assert.StartsWith($"cpu: {FaultHotMethod}", diff.Headlines[1], StringComparison.Ordinal);
        Assert.Contains(diff.Headlines, h => h.StartsWith("heap: AutoCapture.TestTarget.PlantedSession +", StringComparison.Ordinal));

        // The speedscope file of both opens, with the incident's threads first and the baseline's after.
        await BaselineKit.AssertArtifactsIntactAsync(env, manifest);
        Assert.Equal("diff.json", manifest.Artifacts[0].Name);
        using var both = JsonDocument.Parse(await BaselineKit.ArtifactAsync(env, id, DiffArtifacts.CpuSpeedscopeDiff));
        var frames = SpeedscopeFile.AssertOpens(both.RootElement);
        Assert.Contains(FaultHotMethod, frames);
        var names = both.RootElement.GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
        Assert.StartsWith("incident · ", names[0], StringComparison.Ordinal);
        Assert.StartsWith("baseline · ", names[^1], StringComparison.Ordinal);

        var lines = BaselineKit.FindingLines(Assert.Single(slack.Accepted));
        Assert.StartsWith($"Compared with the scheduled baseline (capture {baseline.Id} of ", lines[0], StringComparison.Ordinal);
        Assert.Equal("  " + diff.Headlines[0], lines[1]);
    }
}
