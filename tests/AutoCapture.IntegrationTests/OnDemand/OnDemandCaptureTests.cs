using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.OnDemand;

/// <summary>
/// Capture on demand with real parts: the webhook app, a collector and a real .NET target on loopback. Through the
/// API, the CLI, and Slack's "Capture again" button (a stand-in sending the signed form Slack sends), each admitted by
/// the same limits as alerts.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed partial class OnDemandCaptureTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _readToken = TestEnvironment.Secret();
    private readonly string _writeToken = TestEnvironment.Secret();
    private readonly string _signingSecret = TestEnvironment.Secret();
    private FakeSlack _slack = null!;
    private RunningApp _collector = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-allowed-" });
    }

    /// <param name="cooldown">Zero for tests about a second capture of one target that is not about the limits.</param>
    private async Task StartAppAsync(string cooldown = "00:10:00")
    {
        // The one rule never fires; it is what makes its collector one that captures may go to.
        var rules = $$$"""
            rules:
              - name: checkout
                match: [ 'alertname = "never-fires"' ]
                target: { collector: "{{{_collector.Url}}}", process: { commandLine: "{{ labels.tag }}" } }
                captures: [ stacks ]
            """;
        _app = await _env.StartWebhookAsync(rules, new()
        {
            ["AutoCapture:Api:ReadTokens:0"] = _readToken,
            ["AutoCapture:Api:WriteTokens:0"] = _writeToken,
            ["AutoCapture:Chat:Default"] = "oncall",
            ["AutoCapture:Chat:Channels:oncall:Type"] = "slack-bot",
            ["AutoCapture:Chat:Channels:oncall:Token"] = _slack.BotToken,
            ["AutoCapture:Chat:Channels:oncall:Channel"] = FakeSlack.ChannelId,
            ["AutoCapture:Chat:Channels:oncall:ApiUrl"] = _slack.ApiUrl,
            ["AutoCapture:Chat:Slack:SigningSecret"] = _signingSecret,
            ["AutoCapture:Limits:Cooldown"] = cooldown,
        });
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private string Body(string tag, string kinds = "\"stacks\"", string? collector = null) =>
        $$"""{ "collector": "{{collector ?? _collector.Url}}", "process": { "commandLine": "{{tag}}" }, "kinds": [{{kinds}}], "reason": "checkout p99 is up" }""";

    private async Task<(HttpStatusCode Status, JsonElement Answer)> PostAsync(string body, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_app.Url}/api/captures") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _env.Http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private List<string> StoredManifests() =>
        Directory.Exists(Path.Combine(_env.StorePath, "captures"))
            ? [.. Directory.EnumerateFiles(Path.Combine(_env.StorePath, "captures"), "manifest.json", SearchOption.AllDirectories)]
            : [];

    [Fact]
    public async Task A_post_captures_the_target_and_the_limits_refuse_the_next_one_as_for_alerts()
    {
        await StartAppAsync();
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");

        var (status, answer) = await PostAsync(Body(target.Tag), _writeToken);

        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = answer.GetProperty("id").GetString()!;
        Assert.Equal("started", answer.GetProperty("decision").GetString());
        Assert.Equal($"{_app.Url}/api/captures/{id}", answer.GetProperty("status").GetString());
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));
        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        Assert.Equal(target.Pid, manifest.Process!.Pid);
        Assert.Equal("on-demand", manifest.Rule);
        Assert.Equal("on-demand", manifest.Alert.Source);
        Assert.Equal("api", manifest.Alert.Labels["requested_by"]);
        Assert.Contains("captured on demand by api: checkout p99 is up", manifest.Notes);

        // The status link answers to the write token: whoever asked can follow the capture.
        using var read = new HttpRequestMessage(HttpMethod.Get, $"{_app.Url}/api/captures/{id}?format=json");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _writeToken);
        using var statusAnswer = await _env.Http.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, statusAnswer.StatusCode);

        var (again, refusal) = await PostAsync(Body(target.Tag), _writeToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, again);
        Assert.Equal("cooldown", refusal.GetProperty("limit").GetString());
        Assert.StartsWith($"stacks skipped: cooldown on commandLine~{target.Tag} on 127.0.0.1 until ", refusal.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains($"(after capture {id})", refusal.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_tokens_bad_bodies_and_collectors_the_rules_never_name_are_refused_and_capture_nothing()
    {
        await StartAppAsync();
        var body = Body("tag-allowed-nothing");

        var (missing, missingAnswer) = await PostAsync(body, null);
        var (readOnly, readOnlyAnswer) = await PostAsync(body, _readToken);
        var (wrong, _) = await PostAsync(body, TestEnvironment.Secret());
        var (malformed, malformedAnswer) = await PostAsync(Body("tag-allowed-nothing", kinds: "\"stacks\", \"cpu:2h\""), _writeToken);
        var (elsewhere, elsewhereAnswer) = await PostAsync(Body("tag-allowed-nothing", collector: "http://127.0.0.2:7080"), _writeToken);
        var (metadata, metadataAnswer) = await PostAsync(Body("tag-allowed-nothing", collector: "http://169.254.169.254"), _writeToken);

        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Equal("a write token is required (Authorization: Bearer …)", missingAnswer.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, readOnly);
        Assert.Equal("a read token cannot start captures: use one of AutoCapture:Api:WriteTokens", readOnlyAnswer.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.BadRequest, malformed);
        Assert.Equal("kinds[1]: duration '2h' must be from 1 s to 10 min (as rules write it: 30s, 2m)", malformedAnswer.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere);
        Assert.StartsWith("collector 127.0.0.2:7080 is not named by any rule", elsewhereAnswer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, metadata);
        Assert.StartsWith("collector 169.254.169.254 is a link-local or cloud metadata address", metadataAnswer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(StoredManifests());
    }

    [Fact]
    public async Task The_cli_waits_for_the_capture_and_prints_its_summary_and_exit_codes_tell_the_outcome()
    {
        await StartAppAsync();
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = _app.Url, ["AUTOCAPTURE_TOKEN"] = _writeToken };
        // By pid: the CLI's own command line would hold the target's tag too.
        string[] args = ["capture", "--collector", _collector.Url, "--process", $"pid={target.Pid}", "--kinds", "stacks", "--reason", "from the cli"];

        var (exit, output, error) = await CliProcess.RunAsync(args, environment, _env.Root);

        Assert.True(exit == 0, error);
        var id = IdLine().Match(output).Groups["id"].Value;
        Assert.Equal(CaptureStatus.Complete, (await _env.Manifests.ReadAsync(id, CancellationToken.None))!.Status);
        Assert.Contains("status: complete", output, StringComparison.Ordinal);
        Assert.Contains($"(pid {target.Pid})", output, StringComparison.Ordinal);
        Assert.Contains("note: captured on demand by api: from the cli", output, StringComparison.Ordinal);
        Assert.Contains($"capture {id}: complete", error, StringComparison.Ordinal);
        Assert.DoesNotContain(_writeToken, output + error, StringComparison.Ordinal);

        var (refusedExit, _, refusedError) = await CliProcess.RunAsync(args, environment, _env.Root);
        var (readExit, _, readError) = await CliProcess.RunAsync(args, new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = _app.Url, ["AUTOCAPTURE_TOKEN"] = _readToken }, _env.Root);
        var (usageExit, _, usageError) = await CliProcess.RunAsync(["capture", "--collector", _collector.Url, "--process", "uid=0", "--kinds", "stacks"], environment, _env.Root);
        var (unknownExit, _, _) = await CliProcess.RunAsync(["capture", "--no-such-option"], environment, _env.Root);

        Assert.Equal(2, refusedExit);
        Assert.Contains("the server answered 429: stacks skipped: cooldown on", refusedError, StringComparison.Ordinal);
        Assert.Equal(3, readExit);
        Assert.Contains("a read token cannot start captures", readError, StringComparison.Ordinal);
        Assert.Equal(3, usageExit);
        Assert.Contains("--process 'uid=0' must be one of pid=…, name=…, commandLine=…, address=…", usageError, StringComparison.Ordinal);
        Assert.Equal(3, unknownExit);
    }

    [Fact]
    public async Task Capture_again_in_slack_captures_the_same_target_from_the_stored_manifest_and_replies_in_the_thread()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var (first, button) = await CapturedInSlackAsync(target);
        var post = first.ChatPost!;

        using var response = await ClickAsync(post, button, _signingSecret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await ThreadReplyAsync(post);
        var again = Regex.Match(reply, @"capture (?<id>[0-9]{8}-[0-9a-f]{16}) started").Groups["id"].Value;
        Assert.StartsWith("alice asked to capture again: capture ", reply, StringComparison.Ordinal);
        var second = await _env.WaitForOutcomeAsync(again, TimeSpan.FromSeconds(90));
        Assert.Equal(CaptureStatus.Complete, second.Status);
        Assert.Equal(first.Target, second.Target);
        Assert.Equal(target.Pid, second.Process!.Pid);
        Assert.Equal(first.Captures, second.Captures);
        Assert.Equal("Slack user alice", second.Alert.Labels["requested_by"]);
        Assert.Contains($"captured on demand by Slack user alice: again after capture {first.Id}", second.Notes);
    }

    [Fact]
    public async Task A_forged_stale_or_replayed_click_is_refused_and_captures_nothing_more()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var (first, button) = await CapturedInSlackAsync(target);
        var post = first.ChatPost!;
        var before = StoredManifests().Count;

        using var forged = await ClickAsync(post, button, TestEnvironment.Secret());
        using var stale = await ClickAsync(post, button, _signingSecret, sentAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        using var unsigned = await _env.Http.PostAsync($"{_app.Url}/api/slack/interactivity", new FormUrlEncodedContent([new("payload", "{}")]));

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Contains("the Slack signature does not match", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(before, StoredManifests().Count);
        Assert.DoesNotContain(_slack.ApiCalls, c => ((string?)c.Body["text"])?.Contains("again", StringComparison.Ordinal) == true);

        // The same signed click sent twice, within the window: the second is refused.
        var (sentAt, actionTs) = (DateTimeOffset.UtcNow, "1765000000.000001");
        using var click = await ClickAsync(post, button, _signingSecret, sentAt, actionTs);
        using var replay = await ClickAsync(post, button, _signingSecret, sentAt, actionTs);

        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("this Slack request was already received (replayed)", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ThreadReplyAsync(post);
        Assert.Equal(before + 1, StoredManifests().Count);
    }

    /// <summary>A capture of the target asked for through the API, ended and posted in Slack, and its "Capture again" button.</summary>
    private async Task<(CaptureManifest First, JsonObject Button)> CapturedInSlackAsync(TestTargetProcess target)
    {
        // No cooldown: these tests click for a second capture of the same target; the limits are another test's subject.
        await StartAppAsync(cooldown: "00:00:00");
        var (_, answer) = await PostAsync(Body(target.Tag), _writeToken);
        var first = await _env.WaitForOutcomeAsync(answer.GetProperty("id").GetString()!, TimeSpan.FromSeconds(90));
        return (first, Button(_slack.Messages[first.ChatPost!.MessageId], first.Id));
    }

    [GeneratedRegex(@"^id: (?<id>\S+)$", RegexOptions.Multiline)]
    private static partial Regex IdLine();

    /// <summary>The "Capture again" button of a posted message: its value must be the capture id and nothing else.</summary>
    private static JsonObject Button(JsonObject message, string captureId)
    {
        var button = message["blocks"]!.AsArray().Where(b => (string?)b!["type"] == "actions")
            .SelectMany(b => b!["elements"]!.AsArray()).Single(e => e!["action_id"] is not null)!.AsObject();
        Assert.Equal("autocapture_capture_again", (string?)button["action_id"]);
        Assert.Equal(captureId, (string?)button["value"]);
        Assert.Null(button["url"]);
        return button;
    }

    /// <summary>What Slack sends for a button click: a block_actions payload, form-encoded, signed with the app's signing secret.</summary>
    private async Task<HttpResponseMessage> ClickAsync(ChatPost post, JsonObject button, string secret, DateTimeOffset? sentAt = null, string? actionTs = null)
    {
        var payload = new JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new JsonObject { ["id"] = "U0ALICE", ["username"] = "alice", ["name"] = "alice", ["team_id"] = "T0AUTOCAP" },
            ["api_app_id"] = "A0AUTOCAP",
            ["token"] = "deprecated-verification-token",
            ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = post.MessageId, ["channel_id"] = post.Channel, ["is_ephemeral"] = false },
            ["trigger_id"] = "1234567890.0987654321.abcdef",
            ["team"] = new JsonObject { ["id"] = "T0AUTOCAP", ["domain"] = "autocapture" },
            ["channel"] = new JsonObject { ["id"] = post.Channel, ["name"] = "oncall" },
            ["message"] = _slack.Messages[post.MessageId].DeepClone(),
            // Attacker-controlled unless signed, and unused: replies go through the bot to the stored thread.
            ["response_url"] = "https://hooks.slack.com/actions/T0AUTOCAP/1/abc",
            ["actions"] = new JsonArray
            {
                new JsonObject
                {
                    ["action_id"] = (string?)button["action_id"],
                    ["block_id"] = "b1",
                    ["text"] = button["text"]!.DeepClone(),
                    ["value"] = (string?)button["value"],
                    ["type"] = "button",
                    ["action_ts"] = actionTs ?? (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000000", CultureInfo.InvariantCulture),
                },
            },
        };
        var body = "payload=" + Uri.EscapeDataString(payload.ToJsonString());
        var timestamp = (sentAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_app.Url}/api/slack/interactivity") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", signature);
        request.Headers.UserAgent.ParseAdd("Slackbot 1.0 (+https://api.slack.com/robots)");
        return await _env.Http.SendAsync(request);
    }

    private async Task<string> ThreadReplyAsync(ChatPost post)
    {
        for (var i = 0; i < 300; i++)
        {
            if (_slack.ApiCalls.FirstOrDefault(c => (string?)c.Body["thread_ts"] == post.MessageId && ((string?)c.Body["text"])?.Contains("again", StringComparison.Ordinal) == true) is { Body: { } body })
            {
                return (string)body["text"]!;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no reply in the clicked message's thread");
    }
}
