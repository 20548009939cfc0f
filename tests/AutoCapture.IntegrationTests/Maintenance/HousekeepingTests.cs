using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Maintenance;
using AutoCapture.Functions.Pipeline;
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
        });
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private FolderStore Store => new(_env.StorePath);

    private async Task<string> WriteManifestAsync(CaptureStatus status, int dispatchAttempts)
    {
        var old = DateTimeOffset.UtcNow.AddMinutes(-10);
        var id = CaptureIds.NewRandom(DateTimeOffset.UtcNow);
        var manifest = new CaptureManifest
        {
            Id = id,
            Status = status,
            Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string> { ["alertname"] = "HighCPU" }, new Dictionary<string, string>(), old, null, "fp", $"fp@{id}"),
            Rule = "r",
            Target = new CaptureTarget(_collector.Url, "web-3", new ProcessSelector(Name: $"nobody-{Guid.NewGuid():N}")),
            Captures = [new CaptureSpec(CaptureKinds.Stacks, null)],
            CreatedAt = old,
            UpdatedAt = old,
            DispatchAttempts = dispatchAttempts,
        };
        Assert.True((await Store.WriteJsonAsync(CaptureIds.ManifestKey(id), manifest, WriteCondition.IfAbsent, CancellationToken.None)).Written);
        return id;
    }

    private async Task<string> WriteCooldownAsync(TimeSpan untilFromNow)
    {
        var key = $"{CooldownLimiter.Prefix}{Guid.NewGuid():N}.json";
        await Store.WriteJsonAsync(key, new CooldownLimiter.CooldownState("20261121-0000000000000000", DateTimeOffset.UtcNow + untilFromNow), WriteCondition.None, CancellationToken.None);
        return key;
    }

    [Fact]
    public async Task Stuck_captures_are_dispatched_again_or_failed_after_the_last_attempt_and_expired_cooldowns_go()
    {
        var stuck = await WriteManifestAsync(CaptureStatus.Pending, dispatchAttempts: 0);
        var hopeless = await WriteManifestAsync(CaptureStatus.Pending, dispatchAttempts: 3);
        var finished = await WriteManifestAsync(CaptureStatus.Complete, dispatchAttempts: 1);
        var expired = await WriteCooldownAsync(TimeSpan.FromMinutes(-1));
        var current = await WriteCooldownAsync(TimeSpan.FromHours(1));
        var housekeeping = _webhook.App.Services.GetRequiredService<Housekeeping>();

        var report = await housekeeping.RunAsync(CancellationToken.None);

        Assert.Equal(new HousekeepingReport(Redispatched: 1, GaveUp: 1, CooldownsExpired: 1), report);
        var redispatched = (await _env.Manifests.ReadAsync(stuck, CancellationToken.None))!;
        Assert.NotEqual(CaptureStatus.Pending, redispatched.Status);
        Assert.Equal(2, redispatched.DispatchAttempts);
        var failed = await _env.WaitForOutcomeAsync(hopeless, TimeSpan.FromSeconds(30));
        Assert.Equal(CaptureStatus.Failed, failed.Status);
        Assert.Contains("still pending after 3 dispatch attempts", failed.Error, StringComparison.Ordinal);
        Assert.Equal(CaptureStatus.Complete, (await _env.Manifests.ReadAsync(finished, CancellationToken.None))!.Status);
        Assert.Null(await Store.OpenReadAsync(expired, CancellationToken.None));
        var kept = await Store.OpenReadAsync(current, CancellationToken.None);
        Assert.NotNull(kept);
        await kept.DisposeAsync();

        // The collector really got the job: its outcome comes back through the completion callback.
        var outcome = await _env.WaitForOutcomeAsync(stuck, TimeSpan.FromSeconds(60));
        Assert.Equal(CaptureStatus.Failed, outcome.Status);
        Assert.Contains("nobody-", outcome.Error, StringComparison.Ordinal);

        // Nothing is left to do: a second run changes nothing.
        Assert.Equal(new HousekeepingReport(0, 0, 0), await housekeeping.RunAsync(CancellationToken.None));
    }
}
