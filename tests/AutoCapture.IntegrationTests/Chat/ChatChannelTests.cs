using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Maintenance;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Chat;

/// <summary>
/// Each kind of chat channel with the real webhook app, collector and target: a Slack bot that posts at the start and
/// follows up, Teams through a Workflows webhook, a generic signed webhook, routing by rule, skips told in words
/// (and storms kept quiet), and a failed message kept on the manifest and sent again by housekeeping.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class ChatChannelTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private FakeSlack _slack = null!;
    private FakeTeams _teams = null!;
    private WebhookReceiver _receiver = null!;
    private RunningApp _collector = null!;
    private readonly string _webhookSecret = TestEnvironment.Secret();

    public async Task InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _teams = await FakeTeams.StartAsync();
        _receiver = await WebhookReceiver.StartAsync();
        _collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-allowed-" });
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
        await _teams.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private Dictionary<string, string?> Channels() => new()
    {
        ["AutoCapture:Chat:Default"] = "tickets",
        ["AutoCapture:Chat:Channels:oncall:Type"] = "slack-bot",
        ["AutoCapture:Chat:Channels:oncall:Token"] = _slack.BotToken,
        ["AutoCapture:Chat:Channels:oncall:Channel"] = FakeSlack.ChannelId,
        ["AutoCapture:Chat:Channels:oncall:ApiUrl"] = _slack.ApiUrl,
        ["AutoCapture:Chat:Channels:team:Type"] = "teams",
        ["AutoCapture:Chat:Channels:team:Url"] = _teams.WebhookUrl,
        ["AutoCapture:Chat:Channels:tickets:Type"] = "webhook",
        ["AutoCapture:Chat:Channels:tickets:Url"] = _receiver.Url,
        ["AutoCapture:Chat:Channels:tickets:Secret"] = _webhookSecret,
        ["AutoCapture:Housekeeping:Interval"] = "01:00:00",
        ["AutoCapture:Housekeeping:PendingDeadline"] = "00:00:01",
    };

    private string Rules(string chat, string captures, string extra = "") => $$$"""
        rules:
          - name: chat-{{{chat}}}
            match:
              - alertname =~ ".+"
            target:
              collector: "{{{_collector.Url}}}"
              host: "{{ labels.instance | host }}"
              process:
                commandLine: "{{ labels.tag }}"
            {{{(chat == "default" ? string.Empty : $"chat: {chat}")}}}
        {{{extra}}}
            captures:
        {{{captures}}}
        """;

    private async Task<(string Result, string CaptureId)> FireAsync(RunningApp webhook, string alertname, string tag, string instance = "web-3:9100")
    {
        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing(alertname, ("instance", instance), ("tag", tag))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var capture = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0];
        LastReason = capture.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
        return (capture.GetProperty("result").GetString()!, capture.GetProperty("captureId").GetString()!);
    }

    /// <summary>The reason the last <see cref="FireAsync"/> was answered with, if any.</summary>
    private string? LastReason { get; set; }

    [Fact]
    public async Task A_slack_bot_posts_when_the_capture_starts_then_updates_that_post_and_replies_in_its_thread()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await _env.StartWebhookAsync(Rules("oncall", "      - kind: cpu\n        duration: 2s"), Channels());

        var (_, id) = await FireAsync(webhook, "HighCPU", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        Assert.True(manifest.Status == CaptureStatus.Complete, manifest.Error);
        Assert.NotNull(manifest.NotifiedAt);
        Assert.Empty(_slack.Refused);
        var calls = _slack.ApiCalls.ToList();
        Assert.Equal(["chat.postMessage", "chat.update", "chat.postMessage"], calls.Select(c => c.Method));
        var start = calls[0].Body.ToJsonString();
        Assert.Contains("Capturing cpu 2 s", start, StringComparison.Ordinal);
        Assert.Null(calls[0].Body["thread_ts"]);
        var post = manifest.ChatPost!;
        Assert.Equal(FakeSlack.ChannelId, post.Channel);
        Assert.Equal(post.MessageId, (string?)calls[1].Body["ts"]);
        Assert.Contains("Captured cpu 2 s", calls[1].Body.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("cpu.speedscope.json", calls[1].Body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(post.MessageId, (string?)calls[2].Body["thread_ts"]);
        Assert.Contains("Captured", (string?)calls[2].Body["text"], StringComparison.Ordinal);
        // The channel now shows the outcome where the start was.
        Assert.Contains("Captured cpu", _slack.Messages[post.MessageId].ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Teams_gets_an_adaptive_card_under_28_KB_with_the_findings_and_links()
    {
        using var target = await TestTargetProcess.StartAsync("lock", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await _env.StartWebhookAsync(Rules("team", "      - stacks"), Channels());

        var (_, id) = await FireAsync(webhook, "Deadlock", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        Assert.NotNull(manifest.NotifiedAt);
        Assert.Empty(_teams.Refused);
        var (card, bytes) = Assert.Single(_teams.Accepted);
        Assert.True(bytes < FakeTeams.MaxBytes);
        var text = card.ToJsonString();
        Assert.Contains("Deadlock", text, StringComparison.Ordinal);
        Assert.Contains("Where most are", text, StringComparison.Ordinal);
        Assert.Contains("System.Threading.Monitor.Enter", text, StringComparison.Ordinal);
        Assert.Contains($"/api/captures/{id}?token=", text, StringComparison.Ordinal);
        Assert.Contains("stacks.txt", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_refusing_the_message_leaves_the_capture_intact_and_housekeeping_sends_it_later_signed()
    {
        var webhook = await _env.StartWebhookAsync(Rules("default", "      - stacks"), Channels());
        _receiver.Failing = true;

        var (_, id) = await FireAsync(webhook, "HighCPU", $"tag-allowed-nobody-{Guid.NewGuid():N}");
        var failedToTell = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, failedToTell.Status);
        Assert.Contains("process not found", failedToTell.Error, StringComparison.Ordinal);
        Assert.Null(failedToTell.NotifiedAt);
        Assert.StartsWith("tickets: the webhook answered 400: receiver refuses", failedToTell.NotifyError, StringComparison.Ordinal);
        Assert.DoesNotContain("hooks/autocapture", failedToTell.NotifyError, StringComparison.Ordinal);
        Assert.Equal(1, failedToTell.NotifyAttempts);

        _receiver.Failing = false;
        await Task.Delay(1100);
        var report = await webhook.App.Services.GetRequiredService<Housekeeping>().RunAsync(CancellationToken.None);

        Assert.Equal(1, report.Renotified);
        var told = (await _env.Manifests.ReadAsync(id, CancellationToken.None))!;
        Assert.NotNull(told.NotifiedAt);
        Assert.Null(told.NotifyError);
        Assert.Equal(2, told.NotifyAttempts);
        var (body, json, headers) = Assert.Single(_receiver.Received);
        Assert.Equal("capture.failed", (string?)json["event"]);
        Assert.Equal(id, (string?)json["manifest"]!["id"]);
        Assert.Contains("process not found", (string?)json["headline"], StringComparison.Ordinal);
        var timestamp = headers["X-AutoCapture-Timestamp"].ToString();
        Assert.InRange(long.Parse(timestamp, CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_webhookSecret), Encoding.UTF8.GetBytes($"{timestamp}.").Concat(body).ToArray()));
        Assert.Equal(expected, headers["X-AutoCapture-Signature"].ToString());

        // Told once: another housekeeping run owes nothing.
        Assert.Equal(0, (await webhook.App.Services.GetRequiredService<Housekeeping>().RunAsync(CancellationToken.None)).Renotified);
    }

    [Fact]
    public async Task A_cooldown_skip_is_told_once_in_words_and_storm_sampled_skips_stay_quiet()
    {
        var webhook = await _env.StartWebhookAsync(Rules("default", "      - stacks", "    stormTargets: 1"), Channels());
        var tag = $"tag-allowed-nobody-{Guid.NewGuid():N}";

        var (first, firstId) = await FireAsync(webhook, "HighCPU", tag);
        await _env.WaitForOutcomeAsync(firstId, TimeSpan.FromSeconds(60));
        var (second, secondId) = await FireAsync(webhook, "HighCPU", tag);
        var told = await _env.WaitForOutcomeAsync(secondId, TimeSpan.FromSeconds(30));
        var (third, thirdId) = await FireAsync(webhook, "HighCPU", tag);
        var thirdReason = LastReason;
        // Another process in the same alert group: a second target, which the storm limit (1 target) samples out.
        var (storm, stormId) = await FireAsync(webhook, "HighCPU", $"tag-allowed-nobody-{Guid.NewGuid():N}", instance: "web-4:9100");
        var stormReason = LastReason;

        Assert.Equal(["started", "skipped", "skipped", "skipped"], new[] { first, second, third, storm });
        Assert.Equal(CaptureStatus.Skipped, told.Status);
        Assert.NotNull(told.NotifiedAt);
        // Skips chat does not hear of are answered and logged, never written: a storm would otherwise cost a write per alert.
        Assert.Contains("cooldown", thirdReason, StringComparison.Ordinal);
        Assert.StartsWith("storm:", stormReason, StringComparison.Ordinal);
        Assert.Null(await _env.Manifests.ReadAsync(thirdId, CancellationToken.None));
        Assert.Null(await _env.Manifests.ReadAsync(stormId, CancellationToken.None));

        // Housekeeping owes the quiet ones nothing, so chat heard exactly two messages: the failure and one skip.
        await Task.Delay(1100);
        await webhook.App.Services.GetRequiredService<Housekeeping>().RunAsync(CancellationToken.None);
        var messages = _receiver.Received.Select(r => r.Json).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal(["capture.failed", "capture.skipped"], messages.Select(m => (string?)m["event"]));
        Assert.Contains($"cooldown on commandLine~{tag} on web-3 until", (string?)messages[1]["headline"], StringComparison.Ordinal);
    }
}
