using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Limits;
using AutoCapture.Functions.Maintenance;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Maintenance;

/// <summary>Housekeeping against the real webhook app, a real collector and the store they share.</summary>
public sealed class HousekeepingTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private RunningApp _collector = null!;
    private RunningApp _webhook = null!;

    public async Task InitializeAsync()
    {
        _collector = await _env.StartCollectorAsync();
        _webhook = await _env.StartWebhookAsync("rules: []", new()
        {
            // Every pending manifest counts as stuck at once; the standalone loop stays out of the way.
            ["AutoCapture:Housekeeping:PendingDeadline"] = "00:00:00.001",
            ["AutoCapture:Housekeeping:Interval"] = "01:00:00",
            ["AutoCapture:Housekeeping:MaxDispatchAttempts"] = "3",
            ["AutoCapture:Housekeeping:CaptureGrace"] = "00:01:00",
        });
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private FolderStore Store => new(_env.StorePath);

    /// <summary>Writes a manifest as admission leaves it (opened, then written), straight to the store without index tags.</summary>
    private async Task<string> WriteManifestAsync(CaptureStatus status, int dispatchAttempts, TimeSpan? age = null, DateTimeOffset? alertStartedAt = null)
    {
        var old = DateTimeOffset.UtcNow - (age ?? TimeSpan.FromMinutes(10));
        var id = CaptureIds.NewRandom(alertStartedAt ?? DateTimeOffset.UtcNow);
        var manifest = new CaptureManifest
        {
            Id = id,
            Status = status,
            Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string> { ["alertname"] = "HighCPU" }, new Dictionary<string, string>(), alertStartedAt ?? old, null, "fp", $"fp@{id}"),
            Rule = "r",
            Target = new CaptureTarget(_collector.Url, "web-3", new ProcessSelector(Name: $"nobody-{Guid.NewGuid():N}")),
            Captures = [new CaptureSpec(CaptureKinds.Stacks, null)],
            CreatedAt = old,
            UpdatedAt = old,
            DispatchAttempts = dispatchAttempts,
            DispatchedAt = status == CaptureStatus.Pending ? null : old,
        };
        await new OpenCaptures(Store).OpenAsync(id, old, CancellationToken.None);
        Assert.True((await Store.WriteJsonAsync(CaptureIds.ManifestKey(id), manifest, WriteCondition.IfAbsent, CancellationToken.None)).Written);
        return id;
    }

    private async Task<string> WriteLimitStateAsync(params TimeSpan[] untilFromNow)
    {
        var key = $"{CaptureLimits.Prefix}cooldown/{Guid.NewGuid():N}.json";
        var now = DateTimeOffset.UtcNow;
        var entries = untilFromNow.Select((until, i) => new LimitEntry($"20261121-{i:D16}", "target", now.AddHours(-2), now + until, Committed: true)).ToList();
        await Store.WriteJsonAsync(key, new LimitState(entries), WriteCondition.None, CancellationToken.None);
        return key;
    }

    [Fact]
    public async Task Stuck_captures_are_dispatched_again_or_failed_after_the_last_attempt_and_expired_limit_state_goes()
    {
        var stuck = await WriteManifestAsync(CaptureStatus.Pending, dispatchAttempts: 0);
        var hopeless = await WriteManifestAsync(CaptureStatus.Pending, dispatchAttempts: 3);
        var finished = await WriteManifestAsync(CaptureStatus.Complete, dispatchAttempts: 1);
        var expired = await WriteLimitStateAsync(TimeSpan.FromMinutes(-1), TimeSpan.FromMinutes(-30));
        var current = await WriteLimitStateAsync(TimeSpan.FromHours(1));
        var mixed = await WriteLimitStateAsync(TimeSpan.FromMinutes(-1), TimeSpan.FromHours(1));
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();

        var report = await housekeeping.RunAsync(CancellationToken.None);

        // The finished capture was never told to chat, so its message is owed, and once sent it is settled; the three
        // manifests written straight to the store (not through ManifestStore) carried no index tags.
        Assert.Equal(new HousekeepingReport(Redispatched: 1, GaveUp: 1, Finalised: 0, LimitStatesRemoved: 1) { Renotified = 1, Reindexed = 3, Settled = 1 }, report);
        Assert.NotNull((await _env.Manifests.ReadAsync(finished, CancellationToken.None))!.NotifiedAt);
        var redispatched = (await _env.Manifests.ReadAsync(stuck, CancellationToken.None))!;
        Assert.NotEqual(CaptureStatus.Pending, redispatched.Status);
        Assert.Equal(2, redispatched.DispatchAttempts);
        var failed = await _env.WaitForOutcomeAsync(hopeless, TimeSpan.FromSeconds(30));
        Assert.Equal(CaptureStatus.Failed, failed.Status);
        Assert.Contains("still pending after 3 dispatch attempts", failed.Error, StringComparison.Ordinal);
        Assert.Equal(CaptureStatus.Complete, (await _env.Manifests.ReadAsync(finished, CancellationToken.None))!.Status);
        Assert.Null(await Store.OpenReadAsync(expired, CancellationToken.None));
        Assert.Single((await Store.ReadAsync<LimitState>(current, CancellationToken.None))!.Value.Value.Entries);
        var pruned = (await Store.ReadAsync<LimitState>(mixed, CancellationToken.None))!.Value.Value;
        Assert.True(Assert.Single(pruned.Entries).Until > DateTimeOffset.UtcNow);

        // The collector really got the job: its outcome comes back through the completion callback.
        var outcome = await _env.WaitForOutcomeAsync(stuck, TimeSpan.FromSeconds(60));
        Assert.Equal(CaptureStatus.Failed, outcome.Status);
        Assert.Contains("nobody-", outcome.Error, StringComparison.Ordinal);

        // Every capture ended and was settled by whoever ended it: nothing is left open, and a second run changes nothing.
        await WaitUntilNothingIsOpenAsync();
        Assert.Equal(new HousekeepingReport(0, 0, 0, 0), await housekeeping.RunAsync(CancellationToken.None));
    }

    private async Task WaitUntilNothingIsOpenAsync()
    {
        // The completion callback settles the capture just after its chat message; wait for that, bounded.
        for (var attempt = 0; attempt < 300 && await new OpenCaptures(Store).ListAsync(CancellationToken.None).AnyAsync(); attempt++)
        {
            await Task.Delay(100);
        }

        Assert.False(await new OpenCaptures(Store).ListAsync(CancellationToken.None).AnyAsync());
    }

    [Fact]
    public async Task A_capture_of_an_alert_that_started_weeks_ago_is_failed_with_the_reason_and_told_when_its_collector_never_answers()
    {
        // Its folder is five weeks back: only the open captures lead housekeeping to it.
        var weeksOld = await WriteManifestAsync(CaptureStatus.Dispatched, dispatchAttempts: 1, alertStartedAt: DateTimeOffset.UtcNow.AddDays(-35));
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();
        await Task.Delay(TimeSpan.FromMilliseconds(20));

        var report = await housekeeping.RunAsync(CancellationToken.None);

        Assert.Equal(1, report.Finalised);
        var failed = (await _env.Manifests.ReadAsync(weeksOld, CancellationToken.None))!;
        Assert.Equal(CaptureStatus.Failed, failed.Status);
        Assert.Contains("never reported back", failed.Error, StringComparison.Ordinal);
        Assert.NotNull(failed.NotifiedAt);
        Assert.False(await new OpenCaptures(Store).ListAsync(CancellationToken.None).AnyAsync());
    }

    [Fact]
    public async Task An_in_flight_slot_no_open_capture_holds_is_freed_and_an_open_capture_without_a_manifest_is_cleared()
    {
        // An instance died after committing the limits (the slot) but before opening the capture, and another after
        // opening a capture but before writing its manifest.
        var orphan = CaptureIds.NewRandom(DateTimeOffset.UtcNow);
        var admitted = CaptureIds.NewRandom(DateTimeOffset.UtcNow);
        var old = DateTimeOffset.UtcNow.AddMinutes(-10);
        var inFlight = _webhook.App.Services.GetRequiredService<CaptureLimits>().InFlight();
        await Store.WriteJsonAsync(inFlight.StoreKey, new LimitState([new LimitEntry(orphan, orphan, old, DateTimeOffset.MaxValue, Committed: true), new LimitEntry(admitted, admitted, old, DateTimeOffset.MaxValue, Committed: true)]), WriteCondition.None, CancellationToken.None);
        await new OpenCaptures(Store).OpenAsync(admitted, old, CancellationToken.None);
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();
        await Task.Delay(TimeSpan.FromMilliseconds(20));

        var report = await housekeeping.RunAsync(CancellationToken.None);

        Assert.Equal(1, report.SlotsFreed);
        Assert.Equal(1, report.Settled);
        // Left empty, the document itself is removed.
        Assert.Null(await Store.ReadAsync<LimitState>(inFlight.StoreKey, CancellationToken.None));
        Assert.False(await new OpenCaptures(Store).ListAsync(CancellationToken.None).AnyAsync());
    }

    private async Task WriteResultAsync(string id, string artifactText, string reportedSha256)
    {
        await Store.WriteAsync(CaptureIds.ArtifactKey(id, "stacks.txt"), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(artifactText)), WriteCondition.None, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var result = new CaptureResult(
            id,
            Succeeded: true,
            Error: null,
            new ResolvedProcess(42, "checkout", null),
            [new KindResult(CaptureKinds.Stacks, KindOutcome.Succeeded, null, 0.3)],
            [new ArtifactInfo("stacks.txt", CaptureKinds.Stacks, "text/plain", artifactText.Length, reportedSha256)],
            new AutoCapture.Core.Summaries.CaptureSummary(),
            now.AddMinutes(-9),
            now.AddMinutes(-9));
        await Store.WriteJsonAsync(CaptureIds.ResultKey(id), result, WriteCondition.None, CancellationToken.None);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Captures_the_collector_took_but_never_finished_are_finished_from_the_store_or_failed_past_their_deadline()
    {
        var lostCallback = await WriteManifestAsync(CaptureStatus.Running, dispatchAttempts: 1);
        await WriteResultAsync(lostCallback, "Thread 1:\n  Main()\n", Sha256("Thread 1:\n  Main()\n"));
        var corrupted = await WriteManifestAsync(CaptureStatus.Uploading, dispatchAttempts: 1);
        await WriteResultAsync(corrupted, "Thread 1:\n  Main()\n", Sha256("something else"));
        var silent = await WriteManifestAsync(CaptureStatus.Uploading, dispatchAttempts: 1);
        var recent = await WriteManifestAsync(CaptureStatus.Dispatched, dispatchAttempts: 1, age: TimeSpan.FromSeconds(5));
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();
        // File times come from the kernel's coarse clock: the manifest written last must be older than the 1 ms deadline.
        await Task.Delay(TimeSpan.FromMilliseconds(20));

        var report = await housekeeping.RunAsync(CancellationToken.None);

        Assert.Equal(3, report.Finalised);
        var fromStore = (await _env.Manifests.ReadAsync(lostCallback, CancellationToken.None))!;
        Assert.Equal(CaptureStatus.Complete, fromStore.Status);
        Assert.Equal("stacks.txt", Assert.Single(fromStore.Artifacts).Name);
        var broken = (await _env.Manifests.ReadAsync(corrupted, CancellationToken.None))!;
        Assert.Equal(CaptureStatus.Failed, broken.Status);
        Assert.Empty(broken.Artifacts);
        Assert.Contains("stacks.txt does not match its SHA-256", broken.Error, StringComparison.Ordinal);
        var failed = (await _env.Manifests.ReadAsync(silent, CancellationToken.None))!;
        Assert.Equal(CaptureStatus.Failed, failed.Status);
        Assert.Contains("never reported back: the capture was uploading since", failed.Error, StringComparison.Ordinal);
        Assert.Equal(CaptureStatus.Dispatched, (await _env.Manifests.ReadAsync(recent, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_pending_capture_whose_result_is_in_the_store_is_finished_from_it_not_captured_again()
    {
        // The collector ran it, but the dispatch was never recorded and the completion never arrived (the instance died).
        var ran = await WriteManifestAsync(CaptureStatus.Pending, dispatchAttempts: 0);
        await WriteResultAsync(ran, "Thread 1:\n  Main()\n", Sha256("Thread 1:\n  Main()\n"));
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();
        await Task.Delay(TimeSpan.FromMilliseconds(20));

        var report = await housekeeping.RunAsync(CancellationToken.None);

        // Written straight to the store, the manifest carried no index tags.
        Assert.Equal(new HousekeepingReport(Redispatched: 0, GaveUp: 0, Finalised: 1, LimitStatesRemoved: 0) { Reindexed = 1 }, report);
        var finished = await _env.WaitForOutcomeAsync(ran, TimeSpan.FromSeconds(30));
        Assert.Equal(CaptureStatus.Complete, finished.Status);
        Assert.Equal(0, finished.DispatchAttempts);
        Assert.Equal("stacks.txt", Assert.Single(finished.Artifacts).Name);
    }
}
