using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>
/// A goroutine-leak alert about a Go service, end to end: Alertmanager payload → rule with a templated pprof address →
/// collector (address allowlisted) → real Go target → store → Slack message naming the leaking function.
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
}
