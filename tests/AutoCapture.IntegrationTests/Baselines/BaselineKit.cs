using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Maintenance;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Baselines;

/// <summary>What the baseline tests do over and over: run housekeeping, find baselines, fire alerts, read Slack.</summary>
internal static class BaselineKit
{
    /// <summary>Settings that keep the standalone housekeeping loop out of the way: the tests run it when they want.</summary>
    public static Dictionary<string, string?> QuietHousekeeping(FakeSlack slack) => new()
    {
        ["AutoCapture:Chat:Slack:WebhookUrl"] = slack.WebhookUrl,
        ["AutoCapture:Housekeeping:Interval"] = "01:00:00",
    };

    public static Task<HousekeepingReport> RunHousekeepingAsync(RunningApp webhook) =>
        webhook.App.Services.GetRequiredService<Housekeeping>().RunAsync(CancellationToken.None);

    /// <summary>Every manifest in the store.</summary>
    public static async Task<List<CaptureManifest>> ManifestsAsync(TestEnvironment env)
    {
        var store = env.Manifests.Store;
        var manifests = new List<CaptureManifest>();
        await foreach (var item in store.ListAsync("captures/", CancellationToken.None))
        {
            if (item.Key.EndsWith("/manifest.json", StringComparison.Ordinal) && await store.ReadAsync<CaptureManifest>(item.Key, CancellationToken.None) is { } manifest)
            {
                manifests.Add(manifest.Value);
            }
        }

        return manifests;
    }

    /// <summary>Waits until every baseline in the store has finished, and returns them.</summary>
    public static async Task<List<CaptureManifest>> WaitForBaselinesAsync(TestEnvironment env, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<CaptureManifest> baselines = [];
        while (DateTime.UtcNow < deadline)
        {
            baselines = [.. (await ManifestsAsync(env)).Where(m => m.Baseline is not null)];
            if (baselines.Count == count && baselines.All(b => b.Status.IsTerminal()))
            {
                return baselines;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"expected {count} finished baselines, found {string.Join(", ", baselines.Select(b => $"{b.Id} {b.Status}"))}");
    }

    /// <summary>Posts an alert and returns the capture id of its one started capture.</summary>
    public static async Task<string> FireAsync(TestEnvironment env, RunningApp webhook, string alertname, params (string Key, string Value)[] labels)
    {
        using var response = await env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing(alertname, labels)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var capture = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0];
        Assert.Equal("started", capture.GetProperty("result").GetString());
        return capture.GetProperty("captureId").GetString()!;
    }

    /// <summary>The findings section of a Slack message, as Slack shows it (one line per finding).</summary>
    public static string[] FindingLines(System.Text.Json.Nodes.JsonObject message)
    {
        var text = message["blocks"]!.AsArray().Select(b => b?["text"]?["text"]?.GetValue<string>()).FirstOrDefault(t => t?.StartsWith("```", StringComparison.Ordinal) == true)
            ?? throw new InvalidOperationException($"no findings block in {message.ToJsonString()}");
        return WebUtility.HtmlDecode(text.Trim('`')).Split('\n');
    }

    /// <summary>Every artifact the manifest lists is in the store with the size and SHA-256 it claims.</summary>
    public static async Task AssertArtifactsIntactAsync(TestEnvironment env, CaptureManifest manifest)
    {
        foreach (var artifact in manifest.Artifacts)
        {
            await using var stored = await env.Manifests.Store.OpenReadAsync(CaptureIds.ArtifactKey(manifest.Id, artifact.Name), CancellationToken.None);
            Assert.NotNull(stored);
            using var copy = new MemoryStream();
            await stored!.Content.CopyToAsync(copy);
            Assert.Equal((artifact.Size, artifact.Sha256), ((long)copy.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(copy.ToArray()))));
        }
    }

    public static async Task<byte[]> ArtifactAsync(TestEnvironment env, string captureId, string name)
    {
        await using var stored = await env.Manifests.Store.OpenReadAsync(CaptureIds.ArtifactKey(captureId, name), CancellationToken.None)
            ?? throw new InvalidOperationException($"capture {captureId} has no {name} in the store");
        using var copy = new MemoryStream();
        await stored.Content.CopyToAsync(copy);
        return copy.ToArray();
    }
}
