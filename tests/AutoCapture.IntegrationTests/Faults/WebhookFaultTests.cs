using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>
/// The webhook app is killed after it answered 202 but before it recorded the dispatch; another instance sharing
/// the store finishes the work. A proxy in front of the collector holds the dispatch at the chosen moment.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class WebhookFaultTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(StoreKind.Folder)]
    [InlineData(StoreKind.Azurite)]
    public async Task Killed_before_the_collector_got_the_request_another_instance_dispatches_it(StoreKind store)
    {
        await using var world = await FaultWorld.CreateAsync("05 webhook killed before dispatch reached the collector", store, FaultWorld.SnapshotCaptures);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);
        await using var network = FaultProxy.Start(collector.Port);

        network.HoldRequests();
        var alert = await world.SendAsync(webhook, network.Url, await target);
        await network.RequestHeld.WaitAsync(TimeSpan.FromSeconds(10));
        webhook.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        network.Forward();
        Assert.Equal(CaptureStatus.Pending, (await world.Manifests.ReadAsync(alert.CaptureId!, CancellationToken.None))!.Status);
        await world.Webhook("webhook-2").StartAsync();

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 1, expectedFailedWithReason: 0);
        Assert.Equal(1, outcome.CollectorRuns[alert.CaptureId!]);
        // Its deadline counts from the dispatch that reached the collector, not from the alert.
        Assert.True(outcome.Manifest(alert.CaptureId!).DispatchedAt > killedAt);
    }

    [Theory]
    [InlineData(StoreKind.Folder)]
    [InlineData(StoreKind.Azurite)]
    public async Task Killed_after_the_collector_took_the_request_another_instance_finishes_it_without_a_second_capture(StoreKind store)
    {
        await using var world = await FaultWorld.CreateAsync("06 webhook killed after the collector took the request", store);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);
        await using var network = FaultProxy.Start(collector.Port);

        network.DelayAnswers(Timeout.InfiniteTimeSpan);
        var alert = await world.SendAsync(webhook, network.Url, await target);
        await network.AnswerHeld.WaitAsync(TimeSpan.FromSeconds(10));
        webhook.Kill();
        network.Forward();
        var takeover = world.Webhook("webhook-2");
        await takeover.StartAsync();
        await world.WaitForAsync(alert.CaptureId!, m => m.Status.IsTerminal(), Settle, "finished");
        // The collector still tries to report to the dead instance; the target must be free for the next capture meanwhile.
        var next = await world.SendAsync(takeover, collector.Url, await target);

        var outcome = await world.SettleAsync(Settle);
        outcome.AssertKept(expectedCompleted: 2, expectedFailedWithReason: 0);
        Assert.Equal(1, outcome.CollectorRuns[alert.CaptureId!]);
        Assert.Equal(CaptureStatus.Complete, outcome.Manifest(next.CaptureId!).Status);
    }
}
