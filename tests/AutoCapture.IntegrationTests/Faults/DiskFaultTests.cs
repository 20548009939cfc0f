using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>The collector host's disk fills up: its work directory is a small tmpfs that really runs out of space.</summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class DiskFaultTests
{
    [Fact]
    public async Task A_full_disk_on_the_collector_host_fails_captures_with_the_reason_and_they_work_again_once_there_is_room()
    {
        await using var world = await FaultWorld.CreateAsync("12 disk full on the collector host", StoreKind.Folder);
        using var disk = await TmpfsMount.MountAsync(world.CollectorWorkDirectory, 32L * 1024 * 1024);
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);

        disk.FillUp();
        var full = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(full.CaptureId!, m => m.Status.IsTerminal(), TimeSpan.FromSeconds(30), "finished");

        disk.Free();
        disk.FillUp(leaveFree: 64 * 1024);
        var fillsUp = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(fillsUp.CaptureId!, m => m.Status.IsTerminal(), TimeSpan.FromSeconds(60), "finished");

        disk.Free();
        var roomAgain = await world.SendAsync(webhook, collector.Url, await target);

        var outcome = await world.SettleAsync(TimeSpan.FromSeconds(90));
        outcome.AssertKept(expectedCompleted: 1, expectedFailedWithReason: 2);
        // Refused before it started: the collector's answer text stays in its own log, never in chat.
        Assert.EndsWith("answered 503: the collector failed or is unavailable; its log says why", outcome.Manifest(full.CaptureId!).Error, StringComparison.Ordinal);
        Assert.Contains("No space left on device", outcome.Manifest(fillsUp.CaptureId!).Error, StringComparison.Ordinal);
        Assert.Equal(CaptureStatus.Complete, outcome.Manifest(roomAgain.CaptureId!).Status);
    }
}
