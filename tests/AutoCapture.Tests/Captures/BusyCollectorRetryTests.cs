using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Captures;

/// <summary>How long a capture is asked for again while its collector answers busy, and how often.</summary>
public sealed class BusyCollectorRetryTests
{
    private static readonly DateTimeOffset Slot = new(2026, 12, 5, 21, 42, 0, TimeSpan.Zero);

    private static readonly RuleSet Rules = RulesLoader.Parse("rules.yaml", """
        rules:
          - name: nightly
            match: [ 'alertname = "X"' ]
            target: { collector: "http://127.0.0.1:7080", process: { name: orders } }
            captures: [ heap ]
            baseline:
              schedule: daily 21:42
              targets: [ { svc: orders } ]
        """);

    private static BusyCollectorRetry Retry(TimeSpan? pendingDeadline = null) => new(new CurrentRules(Rules), Microsoft.Extensions.Options.Options.Create(new AutoCaptureOptions
    {
        Collector = { BusyRetryWindow = TimeSpan.FromMinutes(5) },
        Housekeeping = { PendingDeadline = pendingDeadline ?? TimeSpan.FromMinutes(2) },
    }));

    private static CaptureManifest Manifest(BaselineMark? baseline) => new()
    {
        Id = "20261205-0000000000000001",
        Status = CaptureStatus.Pending,
        Alert = new Alert("baseline", "nightly baseline", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), Slot, null, "f", "i"),
        Rule = "nightly",
        Target = new CaptureTarget("http://127.0.0.1:7080", "web-1", new ProcessSelector(Name: "orders")),
        Captures = [new CaptureSpec(CaptureKinds.Heap)],
        CreatedAt = Slot.AddMinutes(3),
        Baseline = baseline,
    };

    [Fact]
    public void A_scheduled_baseline_is_asked_for_until_its_slot_can_no_longer_be_taken_any_other_capture_for_the_window()
    {
        Assert.Equal(Slot.AddHours(1), Retry().Deadline(Manifest(new BaselineMark(BaselineMark.Schedule))));
        Assert.Equal(Slot.AddMinutes(8), Retry().Deadline(Manifest(new BaselineMark(BaselineMark.Peer, "20261205-0000000000000002"))));
        Assert.Equal(Slot.AddMinutes(8), Retry().Deadline(Manifest(null)));
    }

    [Fact]
    public void Waits_double_up_to_a_minute_end_at_the_deadline_and_stop_past_it()
    {
        var now = Slot;
        var deadline = Slot.AddMinutes(10);
        var retry = Retry();

        var delays = Enumerable.Range(1, 8).Select(n => retry.Delay(n, now, deadline)).ToList();

        Assert.Equal(new double?[] { 2, 4, 8, 16, 32, 60, 60, 60 }, delays.Select(d => d?.TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(5), retry.Delay(3, deadline.AddSeconds(-5), deadline));
        Assert.Null(retry.Delay(1, deadline, deadline));
        // Housekeeping re-dispatches what was untouched for its pending deadline: a wait stays well inside it.
        Assert.Equal(TimeSpan.FromSeconds(15), Retry(TimeSpan.FromSeconds(30)).Delay(8, now, deadline));
    }
}
