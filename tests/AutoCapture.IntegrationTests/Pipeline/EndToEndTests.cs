using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// The whole path with real parts: Alertmanager payload → webhook app → signed request → collector → EventPipe
/// capture of a real .NET target → store → completion → Slack message (to a loopback stand-in) → signed links.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class EndToEndTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private FakeSlack _slack = null!;
    private RunningApp _collector = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-allowed-" });
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private string Rules(string captures) => $$$"""
        rules:
          - name: dotnet-target
            match:
              - alertname =~ "HighCPU|Deadlock|Forbidden"
            target:
              collector: "{{{_collector.Url}}}"
              host: "{{ labels.instance | host }}"
              process:
                commandLine: "{{ labels.tag }}"
            chat: slack
            captures:
        {{{captures}}}
        """;

    private Task<RunningApp> StartWebhookAsync(string captures) =>
        _env.StartWebhookAsync(Rules(captures), new() { ["AutoCapture:Chat:Slack:WebhookUrl"] = _slack.WebhookUrl });

    private async Task<string> FireAsync(RunningApp webhook, string alertname, string tag)
    {
        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing(alertname, ("instance", "web-3:9100"), ("tag", tag))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var capture = answer.GetProperty("alerts")[0].GetProperty("captures")[0];
        Assert.Equal("started", capture.GetProperty("result").GetString());
        return capture.GetProperty("captureId").GetString()!;
    }

    [Fact]
    public async Task A_cpu_alert_ends_in_a_complete_capture_naming_the_hot_method_in_store_and_chat()
    {
        using var target = await TestTargetProcess.StartAsync("cpu", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await StartWebhookAsync("      - kind: cpu\n        duration: 3s");

        var id = await FireAsync(webhook, "HighCPU", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        Assert.Equal(target.Pid, manifest.Process!.Pid);
        Assert.Equal(["cpu.functions.json", "cpu.nettrace", "cpu.speedscope.json", "summary.json"], manifest.Artifacts.Select(a => a.Name).Order());
        var cpu = manifest.Summary!.Cpu!;
        Assert.Contains(cpu.TopExclusive.Take(5).Concat(cpu.TopInclusive.Take(10)), f => f.Frame.Contains("PlantedHotMethod", StringComparison.Ordinal));

        // Every listed artifact is in the store with exactly the size and hash the manifest claims.
        foreach (var artifact in manifest.Artifacts)
        {
            var path = Path.Combine(_env.StorePath, CaptureIds.ArtifactKey(id, artifact.Name));
            await using var file = File.OpenRead(path);
            Assert.Equal(artifact.Size, file.Length);
            Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
        }

        // The chat message reached "Slack" in a form Slack accepts, and says what was found.
        Assert.NotNull(manifest.NotifiedAt);
        Assert.Empty(_slack.Refused);
        var message = Assert.Single(_slack.Accepted).ToJsonString();
        Assert.Contains("PlantedHotMethod", message, StringComparison.Ordinal);
        Assert.Contains("web-3", message, StringComparison.Ordinal);
        Assert.Contains($"/api/captures/{id}?token=", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stacks_capture_shows_threads_parked_in_the_planted_lock_waiter()
    {
        using var target = await TestTargetProcess.StartAsync("lock", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await StartWebhookAsync("      - kind: stacks");

        var id = await FireAsync(webhook, "Deadlock", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        var stacks = manifest.Summary!.Stacks!;
        Assert.True(stacks.Threads.Count(t => t.Frames.Any(f => f.Contains("PlantedLockWaiter", StringComparison.Ordinal))) >= 3);
        var text = await File.ReadAllTextAsync(Path.Combine(_env.StorePath, CaptureIds.ArtifactKey(id, "stacks.txt")));
        Assert.Contains("PlantedLockWaiter", text, StringComparison.Ordinal);
        Assert.Contains("PlantedLockHolder", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_process_outside_the_allowlist_is_refused_and_the_refusal_is_reported_in_words()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-forbidden-{Guid.NewGuid():N}");
        var webhook = await StartWebhookAsync("      - stacks");

        var id = await FireAsync(webhook, "Forbidden", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, manifest.Status);
        Assert.Contains($"pid {target.Pid}) is not in this collector's allowlist", manifest.Error, StringComparison.Ordinal);
        Assert.Empty(manifest.Artifacts);
        Assert.Contains("allowlist", Assert.Single(_slack.Accepted).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_process_fails_with_the_selector_in_the_reason()
    {
        var webhook = await StartWebhookAsync("      - stacks");

        var id = await FireAsync(webhook, "HighCPU", $"tag-allowed-nobody-{Guid.NewGuid():N}");
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, manifest.Status);
        Assert.Contains("tag-allowed-nobody", manifest.Error, StringComparison.Ordinal);
        Assert.Contains("not found", manifest.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Chat_links_open_the_capture_and_its_artifacts_and_nothing_else()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await StartWebhookAsync("      - stacks");
        var id = await FireAsync(webhook, "HighCPU", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));
        var message = Assert.Single(_slack.Accepted);
        var urls = message["blocks"]!.AsArray().SelectMany(b => b!["elements"]?.AsArray() ?? []).Select(e => (string?)e!["url"]).OfType<string>().ToList();
        var page = urls.Single(u => u.Contains($"/api/captures/{id}?token=", StringComparison.Ordinal));
        var stacks = urls.Single(u => u.Contains("/artifacts/stacks.txt?token=", StringComparison.Ordinal));

        using var pageResponse = await _env.Http.GetAsync(page);
        using var json = await _env.Http.GetAsync(page + "&format=json");
        using var download = await _env.Http.GetAsync(stacks);
        var html = await pageResponse.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, pageResponse.StatusCode);
        Assert.Contains("stacks.txt", html, StringComparison.Ordinal);
        Assert.Equal("nosniff", pageResponse.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(id, JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(manifest.Artifacts.Single(a => a.Name == "stacks.txt").Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));

        // A token is bound to one capture and one artifact: it opens nothing else, and tampering breaks it.
        var token = stacks[(stacks.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        using var otherArtifact = await _env.Http.GetAsync($"{webhook.Url}/api/captures/{id}/artifacts/summary.json?token={token}");
        using var pageWithArtifactToken = await _env.Http.GetAsync($"{webhook.Url}/api/captures/{id}?token={token}");
        using var forged = await _env.Http.GetAsync(stacks[..^3] + "AAA");
        using var missing = await _env.Http.GetAsync($"{webhook.Url}/api/captures/{id}/artifacts/stacks.txt");
        using var traversal = await _env.Http.GetAsync($"{webhook.Url}/api/captures/{id}/artifacts/..%2Fmanifest.json?token={token}");
        Assert.Equal(HttpStatusCode.Forbidden, otherArtifact.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, pageWithArtifactToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);
    }

    [Fact]
    public async Task Slack_throttling_is_waited_out_and_the_message_still_arrives()
    {
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await StartWebhookAsync("      - stacks");
        _slack.ThrottleNext(2);

        var id = await FireAsync(webhook, "HighCPU", target.Tag);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.NotNull(manifest.NotifiedAt);
        Assert.Null(manifest.NotifyError);
        Assert.Equal(3, _slack.Requests);
        Assert.Single(_slack.Accepted);
    }
}
