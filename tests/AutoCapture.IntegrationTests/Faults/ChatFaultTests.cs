using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults.Support;

namespace AutoCapture.IntegrationTests.Faults;

/// <summary>Slack throttles, fails or never answers when the capture's message goes out.</summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class ChatFaultTests
{
    public enum ChatFault
    {
        Throttled,
        ServerErrors,
        NoAnswer,
    }

    [Theory]
    [InlineData(ChatFault.Throttled, "08 chat answers 429 with Retry-After")]
    [InlineData(ChatFault.ServerErrors, "09 chat answers 500")]
    [InlineData(ChatFault.NoAnswer, "10 chat never answers (timeout)")]
    public async Task The_capture_gets_its_message_or_the_manifest_says_why_not(ChatFault fault, string scenario)
    {
        await using var world = await FaultWorld.CreateAsync(scenario, StoreKind.Folder, captures: "[ stacks ]");
        var webhook = world.Webhook();
        var collector = world.Collector();
        var target = world.TargetAsync("lock");
        await Task.WhenAll(webhook.StartAsync(), collector.StartAsync(), target);
        switch (fault)
        {
            case ChatFault.Throttled:
                world.Slack.ThrottleNext(2);
                break;
            case ChatFault.ServerErrors:
                world.Slack.FailNext(2);
                break;
            case ChatFault.NoAnswer:
                world.Slack.HangNext(1);
                break;
        }

        var alert = await world.SendAsync(webhook, collector.Url, await target);

        var outcome = await world.SettleAsync(TimeSpan.FromSeconds(90));
        outcome.AssertKept(expectedCompleted: 1, expectedFailedWithReason: 0);
        var manifest = outcome.Manifest(alert.CaptureId!);
        if (fault == ChatFault.NoAnswer)
        {
            Assert.Equal(1, world.Slack.Hung);
            // Delivered on a later attempt, or the manifest records that chat timed out.
            Assert.True(manifest.NotifiedAt is not null || manifest.NotifyError?.Contains("timeout", StringComparison.OrdinalIgnoreCase) == true, manifest.NotifyError);
        }
        else
        {
            Assert.NotNull(manifest.NotifiedAt);
            Assert.Null(manifest.NotifyError);
            Assert.Equal(3, world.Slack.Requests);
            Assert.Single(world.Slack.Accepted);
        }
    }
}
