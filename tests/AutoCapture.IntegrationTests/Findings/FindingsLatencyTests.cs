using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Baselines;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Findings;

/// <summary>
/// Twenty back-to-back cpu captures of one real process: every chat message leads with the planted method, and the
/// time from the end of each recording to its chat message is written out for docs/benchmarks.md (measured, not
/// asserted: a timed assertion would only measure how busy the machine is).
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class FindingsLatencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Captures = 20;
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;

    public async Task InitializeAsync() => slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    [Fact]
    public async Task Twenty_cpu_captures_each_lead_with_the_hot_method()
    {
        var tag = $"tag-latency-{Guid.NewGuid():N}";
        using var target = await TestTargetProcess.StartAsync("cpu", tag);
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = tag });
        var settings = BaselineKit.QuietHousekeeping(slack);
        settings["AutoCapture:Limits:Cooldown"] = "00:00:00";
        settings["AutoCapture:Limits:RuleBudget"] = "1000";
        var webhook = await env.StartWebhookAsync($$"""
            rules:
              - name: latency
                match: [ 'alertname = "FindingsLatency"' ]
                target:
                  collector: "{{collector.Url}}"
                  process: { commandLine: "{{tag}}" }
                chat: slack
                captures: [ { kind: cpu, duration: 1s } ]
            """, settings);

        var latencies = new List<double>();
        for (var i = 0; i < Captures; i++)
        {
            var manifest = await env.WaitForOutcomeAsync(await BaselineKit.FireAsync(env, webhook, "FindingsLatency"), TimeSpan.FromSeconds(60));
            Assert.True(manifest.Status == CaptureStatus.Complete, manifest.Error);
            var result = await env.Manifests.Store.ReadAsync<CaptureResult>(CaptureIds.ResultKey(manifest.Id), CancellationToken.None);
            // The recording cannot end before its start plus the duration asked: from there to the message is an upper bound.
            latencies.Add((manifest.NotifiedAt!.Value - result!.Value.Value.StartedAt - TimeSpan.FromSeconds(1)).TotalSeconds);
        }

        var messages = slack.Accepted.ToList();
        Assert.Equal(Captures, messages.Count);
        Assert.All(messages, m => Assert.Contains("of CPU is in AutoCapture.TestTarget.PlantedWork.PlantedHotMethod (own code)", (string?)m["blocks"]![0]!["text"]!["text"], StringComparison.Ordinal));
        latencies.Sort();
        output.WriteLine($"capture end → chat message over {Captures} captures: p50 {latencies[Captures / 2]:0.00} s, p95 {latencies[(int)Math.Ceiling(Captures * 0.95) - 1]:0.00} s, max {latencies[^1]:0.00} s");
    }
}
