using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Go;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Baselines;

/// <summary>
/// A collector answering busy (409) is asked again: scheduled baselines that share a slot and a collector are all
/// taken, and a capture whose collector stays busy fails with the reason, visibly on its manifest.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class BusyCollectorTests : IAsyncLifetime
{
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;
    private RunningApp collector = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        collector = await env.StartCollectorAsync(new()
        {
            ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-busy-",
            ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1",
            ["AutoCapture:Collector:MaxConcurrentTraces"] = "1",
        });
    }

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    private string Rule(string name, string process, string captures, string extra = "") => $$"""
          - name: {{name}}
            match: [ 'alertname = "{{name}}"' ]
            target:
              collector: "{{collector.Url}}"
              process: {{process}}
            chat: slack
            captures: {{captures}}
        {{extra}}

        """;

    private static Dictionary<string, string?> Settings(FakeSlack slack, params (string Key, string Value)[] more)
    {
        var settings = BaselineKit.QuietHousekeeping(slack);
        // Two rules capture the same kind of the same process here: the cooldown would skip the second before dispatch.
        settings["AutoCapture:Limits:Cooldown"] = "00:00:00";
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task Scheduled_baselines_sharing_a_slot_and_a_collector_all_complete()
    {
        using var dotnet = await TestTargetProcess.StartAsync("steady", $"tag-busy-{Guid.NewGuid():N}");
        using var go = await GoTargetProcess.StartAsync("-steady");
        // A slot that began a minute ago: its catch-up window (an hour) outlasts any retry here.
        var schedule = $"daily {DateTimeOffset.UtcNow.AddMinutes(-1):HH:mm}";
        var baseline = $$"""
                baseline:
                  schedule: {{schedule}}
                  targets: [ { svc: orders } ]
            """;
        var dotnetProcess = $$"""{ commandLine: "{{dotnet.Tag}}" }""";
        var webhook = await env.StartWebhookAsync(
            "rules:\n"
            + Rule("timed-cpu", dotnetProcess, "[ { kind: cpu, duration: 2s } ]", baseline)
            + Rule("timed-counters", dotnetProcess, "[ { kind: counters, duration: 2s } ]", baseline)
            + Rule("dotnet-heap", dotnetProcess, "[ heap ]", baseline)
            + Rule("go-heap", $$"""{ runtime: go, address: "{{go.PprofAddress}}" }""", "[ heap ]", baseline),
            Settings(slack));

        Assert.Equal(4, (await BaselineKit.RunHousekeepingAsync(webhook)).BaselinesStarted);
        var baselines = (await BaselineKit.WaitForBaselinesAsync(env, 4, TimeSpan.FromSeconds(120))).ToDictionary(b => b.Rule);

        Assert.All(baselines.Values, b => Assert.True(b.Status == CaptureStatus.Complete, $"{b.Rule}: {b.Status} {b.Error}"));
        // Both timed baselines were asked for at once of a collector that runs one trace at a time: it ran one and
        // answered the other busy, which was asked again and taken once the first had finished.
        var waited = Assert.Single(baselines.Values, b => b.Notes.Any(n => n.StartsWith("the collector was busy at ", StringComparison.Ordinal)));
        Assert.StartsWith("timed-", waited.Rule, StringComparison.Ordinal);
        Assert.Contains(waited.Notes, n => n.StartsWith("the collector took it at ", StringComparison.Ordinal));
        Assert.Contains("answered 409: the collector is busy with other captures", waited.Notes[0], StringComparison.Ordinal);
        // A Go heap profile fetched over HTTP and a .NET heap snapshot of another process never held each other up.
        Assert.Empty(baselines["dotnet-heap"].Notes);
        Assert.Empty(baselines["go-heap"].Notes);
    }

    [Fact]
    public async Task A_capture_whose_collector_stays_busy_fails_with_the_reason_after_asking_again()
    {
        using var dotnet = await TestTargetProcess.StartAsync("steady", $"tag-busy-{Guid.NewGuid():N}");
        var process = $$"""{ commandLine: "{{dotnet.Tag}}" }""";
        var webhook = await env.StartWebhookAsync(
            "rules:\n" + Rule("LongCpu", process, "[ { kind: cpu, duration: 20s } ]") + Rule("ShortCpu", process, "[ { kind: cpu, duration: 1s } ]"),
            Settings(slack, ("AutoCapture:Collector:BusyRetryWindow", "00:00:03")));

        var running = await BaselineKit.FireAsync(env, webhook, "LongCpu");
        while ((await env.Manifests.ReadAsync(running, CancellationToken.None))!.Status == CaptureStatus.Pending)
        {
            await Task.Delay(100);
        }

        var id = await BaselineKit.FireAsync(env, webhook, "ShortCpu");
        var manifest = await env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, manifest.Status);
        // The collector's own words (what it is running) stay out of the manifest and chat: status and a fixed text only.
        Assert.Matches(@"^collector at 127\.0\.0\.1:\d+ answered 409: the collector is busy with other captures; still busy after [2-9] requests from \d\d:\d\d:\d\dZ to \d\d:\d\d:\d\dZ$", manifest.Error);
        Assert.StartsWith("the collector was busy at ", Assert.Single(manifest.Notes), StringComparison.Ordinal);
        Assert.InRange(manifest.DispatchAttempts, 2, 9);
        Assert.Contains(slack.Accepted, m => m.ToJsonString().Contains(id, StringComparison.Ordinal) && m.ToJsonString().Contains("still busy after", StringComparison.Ordinal));
    }
}
