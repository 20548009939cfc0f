using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>The process being captured exits in the middle of it (it crashed, or was restarted by its orchestrator).</summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class TargetFaultTests
{
    [Fact]
    public async Task A_target_exiting_mid_capture_ends_the_capture_with_what_happened()
    {
        await using var world = await FaultWorld.CreateAsync("11 target exits mid-capture", StoreKind.Folder);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);

        var alert = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(alert.CaptureId!, m => m.Status == CaptureStatus.Running, TimeSpan.FromSeconds(20), "running");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        (await target).Kill();

        var outcome = await world.SettleAsync(TimeSpan.FromSeconds(90));
        outcome.AssertKept(expectedCompleted: 0, expectedFailedWithReason: 1);
    }
}
