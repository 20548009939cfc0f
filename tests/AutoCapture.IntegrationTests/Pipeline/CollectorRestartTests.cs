using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// A collector that died mid-capture leaves its journal behind; the next start reports those captures as
/// failed (or re-delivers a result that did reach the store) so no manifest stays running for ever.
/// </summary>
public sealed class CollectorRestartTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private RunningApp _webhook = null!;

    public async Task InitializeAsync() => _webhook = await _env.StartWebhookAsync("rules: []");

    public async Task DisposeAsync() => await _env.DisposeAsync();

    /// <summary>A capture the collector had taken (dispatched), as the webhook side recorded it before the collector died.</summary>
    private async Task<string> DispatchedCaptureAsync(string pod)
    {
        var id = CaptureIds.NewRandom(DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        var manifest = new CaptureManifest
        {
            Id = id,
            Status = CaptureStatus.Dispatched,
            Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string> { ["alertname"] = "HighCPU", ["pod"] = pod }, new Dictionary<string, string>(), now, null, pod, pod),
            Rule = "any",
            Target = new CaptureTarget("http://127.0.0.1:9", pod, new ProcessSelector(Name: "checkout")),
            Captures = [new CaptureSpec(CaptureKinds.Stacks)],
            CreatedAt = now,
            UpdatedAt = now,
            DispatchedAt = now,
            DispatchAttempts = 1,
        };
        Assert.True((await new FolderStore(_env.StorePath).WriteJsonAsync(CaptureIds.ManifestKey(id), manifest, WriteCondition.IfAbsent, CancellationToken.None)).Written);
        return id;
    }

    private void WriteJournal(string captureId)
    {
        var journal = Path.Combine(_env.Root, "work", "journal");
        Directory.CreateDirectory(journal);
        var request = new CaptureRequest(captureId, new ProcessSelector(Name: "checkout"), [new CaptureSpec(CaptureKinds.Stacks)], $"{_webhook.Url}/api/captures/{captureId}/complete");
        File.WriteAllBytes(Path.Combine(journal, captureId + ".json"), AutoCaptureJson.Serialize(request));
    }

    [Fact]
    public async Task Captures_left_in_the_journal_are_reported_on_the_next_start()
    {
        var interrupted = await DispatchedCaptureAsync("web-1");
        var finishedButUnreported = await DispatchedCaptureAsync("web-2");
        WriteJournal(interrupted);
        WriteJournal(finishedButUnreported);
        var stored = new CaptureResult(
            finishedButUnreported, true, null, new ResolvedProcess(7, "checkout", null), [new KindResult(CaptureKinds.Stacks, KindOutcome.Succeeded, null, 0.2)], [], new AutoCapture.Core.Summaries.CaptureSummary(), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        await new FolderStore(_env.StorePath).WriteJsonAsync(CaptureIds.ResultKey(finishedButUnreported), stored, WriteCondition.None, CancellationToken.None);

        await _env.StartCollectorAsync();

        var failed = await _env.WaitForOutcomeAsync(interrupted, TimeSpan.FromSeconds(60));
        Assert.Equal(CaptureStatus.Failed, failed.Status);
        Assert.Equal("the collector restarted during the capture; it could not be finished", failed.Error);
        var completed = await _env.WaitForOutcomeAsync(finishedButUnreported, TimeSpan.FromSeconds(60));
        Assert.Equal(CaptureStatus.Complete, completed.Status);
        Assert.Equal(7, completed.Process!.Pid);
        // The collector forgets a capture once the webhook app has answered its completion, just after the manifest moved.
        var journal = Path.Combine(_env.Root, "work", "journal");
        for (var attempt = 0; attempt < 100 && Directory.GetFiles(journal).Length > 0; attempt++)
        {
            await Task.Delay(100);
        }

        Assert.Empty(Directory.GetFiles(journal));
    }
}
