using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Dispatch;
using AutoCapture.IntegrationTests.Baselines;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>What chat and the capture page say of real Go captures: what was done, each thing said once.</summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GoSummaryWordingTests : IAsyncLifetime
{
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;

    public async Task InitializeAsync() => slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    private async Task<ChatMessage> CaptureAsync(RunningApp collector, string process, string captures, params (string Key, string Value)[] labels)
    {
        var webhook = await env.StartWebhookAsync($$"""
            rules:
              - name: go-wording
                match: [ 'alertname = "GoWording"' ]
                target:
                  collector: "{{collector.Url}}"
                  process: {{process}}
                chat: slack
                captures: {{captures}}
            """, BaselineKit.QuietHousekeeping(slack));
        var manifest = await env.WaitForOutcomeAsync(await BaselineKit.FireAsync(env, webhook, "GoWording", labels), TimeSpan.FromSeconds(60));
        Assert.True(manifest.Status == CaptureStatus.Complete, manifest.Error);
        return ChatMessage.For(manifest, webhook.App.Services.GetRequiredService<PublicUrls>());
    }

    [Fact]
    public async Task A_go_target_by_address_is_named_by_its_address_once_and_its_cpu_profile_claims_no_threads()
    {
        using var target = await GoTargetProcess.StartAsync("-steady");
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1" });

        var message = await CaptureAsync(collector, $$"""{ runtime: go, address: "{{target.PprofAddress}}" }""", "[ { kind: cpu, duration: 1s }, heap ]");

        Assert.Equal($"Captured cpu 1 s, heap of the Go process at {target.PprofAddress}", message.Headline);
        var cpu = Assert.Single(message.Findings, f => f.StartsWith("CPU: ", StringComparison.Ordinal));
        Assert.Matches(@"^CPU: [0-9,]+ samples over [0-9.]+ s\. Hottest \(self time\):$", cpu);
    }

    [Fact]
    public async Task Counters_through_the_gops_agent_are_one_reading_whatever_window_the_rule_names()
    {
        var name = $"gt{Guid.NewGuid():N}"[..10];
        using var target = await GoTargetProcess.StartNamedAsync(name, "-gops");
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:Name"] = name });

        var message = await CaptureAsync(collector, """{ runtime: go, pid: "{{ labels.pid }}" }""", "[ { kind: counters, duration: 5s }, goroutines ]", ("pid", target.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal($"Captured counters (one reading), goroutines of {name} (pid {target.Pid}) on 127.0.0.1", message.Headline);
        Assert.StartsWith("Counters: Go heap ", Assert.Single(message.Findings, f => f.StartsWith("Counters", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
