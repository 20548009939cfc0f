using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Links;
using AutoCapture.IntegrationTests.Baselines;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>
/// A goroutine-leak alert about a Go service, end to end: Alertmanager payload → rule with a templated pprof address →
/// collector (address allowlisted) → real Go target → store → Slack message naming the leaking function; and what
/// chat says of real Go captures: what was done, each thing said once.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GoEndToEndTests : IAsyncLifetime
{
    private readonly TestEnvironment env = new();
    private FakeSlack slack = null!;

    public async Task InitializeAsync() => slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    [Fact]
    public async Task A_goroutine_leak_alert_ends_in_a_chat_message_naming_the_leaking_function_and_the_heap_holder()
    {
        using var target = await GoTargetProcess.StartAsync("-leak", "120", "-orders", "5000");
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1" });
        var webhook = await env.StartWebhookAsync($$$"""
            rules:
              - name: go-goroutines
                match: [ 'alertname = "GoroutinesHigh"' ]
                target:
                  collector: "{{{collector.Url}}}"
                  process: { runtime: go, address: "http://{{ labels.instance }}" }
                chat: slack
                captures: [ goroutines, heap ]
            """, new() { ["AutoCapture:Chat:Slack:WebhookUrl"] = slack.WebhookUrl });

        using var response = await env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("GoroutinesHigh", ("instance", $"127.0.0.1:{target.Pprof.Port}"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;
        var manifest = await env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        Assert.Equal(new ProcessSelector(Runtimes.Go, Address: target.PprofAddress), manifest.Target.Process);
        Assert.Equal((120, "main.startLeak"), (manifest.Summary!.Goroutines!.Groups[0].Count, manifest.Summary.Goroutines.Groups[0].CreatedBy));
        Assert.Empty(slack.Refused);
        // Unescaped, to read the text as Slack shows it.
        var message = Assert.Single(slack.Accepted).ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Contains("120 × [chan receive] main.plantedLeakyWorker", message, StringComparison.Ordinal);
        Assert.Contains("main.newPlantedLeakedOrder", message, StringComparison.Ordinal);
        Assert.Contains($"at {target.PprofAddress}", message, StringComparison.Ordinal);
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
