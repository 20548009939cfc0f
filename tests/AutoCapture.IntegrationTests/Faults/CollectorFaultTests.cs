using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>The collector dies mid-capture, cannot be reached, or answers late.</summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class CollectorFaultTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(StoreKind.Folder)]
    [InlineData(StoreKind.Azurite)]
    public async Task A_collector_killed_mid_capture_reports_the_capture_failed_when_it_comes_back_and_takes_new_work(StoreKind store)
    {
        await using var world = await FaultWorld.CreateAsync("01 collector killed mid-capture, restarted", store);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);

        var interrupted = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(interrupted.CaptureId!, m => m.Status == CaptureStatus.Running, TimeSpan.FromSeconds(20), "running");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        collector.Kill();
        await collector.StartAsync();
        var afterRestart = await world.SendAsync(webhook, collector.Url, await target);

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 1, expectedFailedWithReason: 1);
        Assert.Equal("the collector restarted during the capture; it could not be finished", outcome.Manifest(interrupted.CaptureId!).Error);
        Assert.Equal(CaptureStatus.Complete, outcome.Manifest(afterRestart.CaptureId!).Status);
    }

    [Fact]
    public async Task A_collector_killed_mid_capture_for_good_has_its_capture_failed_by_housekeeping_past_the_deadline()
    {
        await using var world = await FaultWorld.CreateAsync("02 collector killed mid-capture, never back", StoreKind.Folder);
        var settings = world.WebhookSettings();
        // Nothing else runs here, so the deadline can be close to the capture's own length.
        settings["AutoCapture:Housekeeping:CaptureGrace"] = "00:00:06";
        var webhook = world.Webhook(settings: settings);
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);

        var alert = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(alert.CaptureId!, m => m.Status == CaptureStatus.Running, TimeSpan.FromSeconds(20), "running");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        collector.Kill();

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 0, expectedFailedWithReason: 1);
        Assert.Contains($"the collector at 127.0.0.1:{collector.Port} never reported back", outcome.Manifest(alert.CaptureId!).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_unreachable_at_dispatch_fails_the_capture_with_the_reason_and_works_once_it_is_up()
    {
        await using var world = await FaultWorld.CreateAsync("03 collector unreachable at dispatch", StoreKind.Folder, FaultWorld.SnapshotCaptures);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), target);

        var unreachable = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(unreachable.CaptureId!, m => m.Status.IsTerminal(), TimeSpan.FromSeconds(30), "finished");
        await collector.StartAsync();
        var reachable = await world.SendAsync(webhook, collector.Url, await target);

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 1, expectedFailedWithReason: 1);
        Assert.Contains($"collector at 127.0.0.1:{collector.Port} unreachable", outcome.Manifest(unreachable.CaptureId!).Error, StringComparison.Ordinal);
        Assert.Equal(CaptureStatus.Complete, outcome.Manifest(reachable.CaptureId!).Status);
        Assert.False(outcome.CollectorRuns.ContainsKey(unreachable.CaptureId!));
    }

    [Fact]
    public async Task A_collector_answering_after_the_dispatch_timeout_still_completes_the_capture_once()
    {
        await using var world = await FaultWorld.CreateAsync("04 collector answers slowly", StoreKind.Folder);
        var settings = world.WebhookSettings();
        // Both dispatch attempts (0.5 s each) give up before the 2 s capture ends.
        settings["AutoCapture:Collector:RequestTimeout"] = "00:00:00.500";
        var webhook = world.Webhook(settings: settings);
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);
        await using var network = FaultProxy.Start(collector.Port);

        network.DelayAnswers(TimeSpan.FromSeconds(2));
        var tooSlow = await world.SendAsync(webhook, network.Url, await target);
        await world.WaitForAsync(tooSlow.CaptureId!, m => m.Status.IsTerminal(), TimeSpan.FromSeconds(40), "finished");
        network.DelayAnswers(TimeSpan.FromMilliseconds(250));
        var slow = await world.SendAsync(webhook, network.Url, await target);

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 2, expectedFailedWithReason: 0);
        Assert.Equal(1, outcome.CollectorRuns[tooSlow.CaptureId!]);
        Assert.Equal(1, outcome.CollectorRuns[slow.CaptureId!]);
    }
}
