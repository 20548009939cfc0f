using System.Diagnostics;
using System.Net;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>The store (Azurite, keeping its data on disk) is stopped for 30 s and started again on the same address.</summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class StoreFaultTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_store_down_for_30_seconds_during_uploads_and_state_writes_loses_nothing()
    {
        await using var world = await FaultWorld.CreateAsync("07 store down 30 s during upload and state writes", StoreKind.Azurite);
        var settings = world.WebhookSettings();
        // The outage outlasts the usual grace; housekeeping must not give up on captures that are merely waiting for the store.
        settings["AutoCapture:Housekeeping:CaptureGrace"] = "00:02:00";
        var webhook = world.Webhook(settings: settings);
        var collector = world.Collector();
        var target = world.TargetAsync();
        var other = world.TargetAsync();
        var third = world.TargetAsync();
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target, other, third);
        await using var network = FaultProxy.Start(collector.Port);

        // Capturing when the store goes: its uploads meet the outage.
        var uploading = await world.SendAsync(webhook, collector.Url, await target);
        await world.WaitForAsync(uploading.CaptureId!, m => m.Status == CaptureStatus.Running, TimeSpan.FromSeconds(20), "running");
        // Accepted, its dispatch held until the store is gone: recording the dispatch, the progress and the result meet the outage.
        network.HoldRequests();
        var dispatching = await world.SendAsync(webhook, network.Url, await other);
        await network.RequestHeld.WaitAsync(TimeSpan.FromSeconds(10));

        await world.Azurite!.StopAsync();
        var down = Stopwatch.StartNew();
        network.Forward();
        // Arriving during the outage: nothing can be recorded, so nothing may be accepted.
        var refused = await world.SendAsync(webhook, collector.Url, await third);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Contains("the store is unavailable", refused.Answer, StringComparison.Ordinal);
        await Task.Delay(Outage - down.Elapsed);
        await world.Azurite.StartAgainAsync();
        // Alertmanager delivers again after a failed delivery.
        var redelivered = await world.ResendAsync(webhook, refused);

        var outcome = await world.SettleAsync(TimeSpan.FromSeconds(150));
        outcome.AssertKept(expectedCompleted: 3, expectedFailedWithReason: 0);
        Assert.True(redelivered.Accepted, redelivered.Answer);
        Assert.Equal(1, outcome.CollectorRuns[dispatching.CaptureId!]);
    }
}
