using System.Text.Json.Nodes;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;

namespace AutoCapture.Tests.OnDemand;

/// <summary>Which Slack messages carry the "Capture again" button, and that it carries the capture id and nothing else.</summary>
public sealed class CaptureAgainButtonTests
{
    private const string Id = "20261206-0123456789abcdef";

    private static ChatMessage Message(CaptureStatus status, IReadOnlyList<CaptureSpec> captures, BaselineMark? baseline = null) =>
        new(Id, "HighCPU: web-3", "Captured stacks", [], [], [new ChatLink("Capture page", "https://autocapture.example.com/api/captures/x?token=t")])
        {
            Manifest = new CaptureManifest
            {
                Id = Id,
                Status = status,
                Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp"),
                Rule = "checkout",
                Target = new CaptureTarget("http://10.0.0.5:7080", "10.0.0.5", new ProcessSelector(Name: "checkout")),
                Captures = captures,
                CreatedAt = DateTimeOffset.UnixEpoch,
                Baseline = baseline,
            },
        };

    private static List<JsonObject> Buttons(JsonObject payload) =>
        [.. payload["blocks"]!.AsArray().Where(b => (string?)b!["type"] == "actions").SelectMany(b => b!["elements"]!.AsArray()).Select(e => e!.AsObject())];

    [Fact]
    public void A_capture_that_took_something_gets_a_button_whose_value_is_its_id_alone()
    {
        var buttons = Buttons(SlackBlocks.Payload(Message(CaptureStatus.Complete, [new CaptureSpec("stacks")]), captureAgain: true));

        var again = Assert.Single(buttons, b => b["action_id"] is not null);
        Assert.Equal(SlackBlocks.CaptureAgainAction, (string?)again["action_id"]);
        Assert.Equal(Id, (string?)again["value"]);
        Assert.Equal("Capture again", (string?)again["text"]!["text"]);
        Assert.Null(again["url"]);
        Assert.Single(buttons, b => b["url"] is not null);
    }

    [Fact]
    public void Skips_baselines_and_channels_without_interactivity_get_none()
    {
        var skipped = SlackBlocks.Payload(Message(CaptureStatus.Skipped, []), captureAgain: true);
        var baseline = SlackBlocks.Payload(Message(CaptureStatus.Complete, [new CaptureSpec("stacks")], new BaselineMark(BaselineMark.Schedule)), captureAgain: true);
        var withoutSecret = SlackBlocks.Payload(Message(CaptureStatus.Complete, [new CaptureSpec("stacks")]));

        Assert.All([skipped, baseline, withoutSecret], payload => Assert.DoesNotContain(Buttons(payload), b => b["action_id"] is not null));
    }
}
