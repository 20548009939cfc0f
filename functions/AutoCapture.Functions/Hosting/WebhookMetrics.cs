using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Options;
using Prometheus;

namespace AutoCapture.Functions.Hosting;

/// <summary>How a webhook delivery ended, as its HTTP answer says.</summary>
public enum DeliveryOutcome
{
    Accepted,
    Unauthorized,
    Throttled,
    Rejected,
    StoreUnavailable,
}

/// <summary>Which chat message of a capture: the start post a Slack bot follows up, or the final one.</summary>
public enum ChatMessageKind
{
    Start,
    Final,
}

public enum ChatSendResult
{
    Sent,
    Failed,
}

/// <summary>The webhook app's metrics (docs/monitoring.md lists them with the alerts built on them).</summary>
public static class WebhookMetrics
{
    private const string UnknownSource = "unknown";

    public static readonly Counter Deliveries = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_deliveries_total", "Alert webhook deliveries, by source and how they were answered.", ["source", "outcome"]);

    public static readonly Counter AlertCaptures = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_alert_captures_total", "Captures that alerts asked for, by admission decision (and for skips, the limit that skipped them).", ["decision", "skip_cause"]);

    public static readonly Counter CapturesFinished = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_captures_finished_total", "Captures that reached a final state, once per kind they asked for.", ["kind", "state"]);

    public static readonly Histogram CaptureDuration = AutoCaptureMetrics.Factory.CreateHistogram(
        "autocapture_capture_duration_seconds", "From admission to the final state, by final state.", AutoCaptureMetrics.Durations("state"));

    public static readonly Counter CollectorRequests = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_collector_requests_total", "Capture requests sent to collectors, by the collector's answer.", ["verdict"]);

    public static readonly Counter ChatMessages = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_chat_messages_total", "Chat messages sent or failed, by message.", ["message", "result"]);

    public static readonly Histogram ChatSendDuration = AutoCaptureMetrics.Factory.CreateHistogram(
        "autocapture_chat_send_duration_seconds", "Time to send one chat message, by message.", AutoCaptureMetrics.Durations("message"));

    public static readonly Counter HousekeepingRuns = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_housekeeping_runs_total", "Housekeeping passes, by whether they finished.", ["result"]);

    public static readonly Gauge HousekeepingLastSuccess = AutoCaptureMetrics.Factory.CreateGauge(
        "autocapture_housekeeping_last_success_timestamp_seconds", "When housekeeping last finished a pass (Unix time).");

    /// <summary>The source label: a known source's name, or "unknown" (the route segment is whatever a sender typed).</summary>
    public static string SourceLabel(string source) =>
        SourcesOptions.Names.FirstOrDefault(name => string.Equals(name, source, StringComparison.Ordinal)) ?? UnknownSource;

    public static DeliveryOutcome OutcomeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => DeliveryOutcome.Unauthorized,
        StatusCodes.Status429TooManyRequests => DeliveryOutcome.Throttled,
        _ => DeliveryOutcome.Rejected,
    };

    public static void Delivered(string source, DeliveryOutcome outcome) =>
        Deliveries.WithLabels(SourceLabel(source), AutoCaptureMetrics.Label(outcome)).Inc();

    public static void Decided(PlannedCapture capture) => Decided(capture.Decision, capture.SkippedBy);

    public static void Decided(CaptureDecision decision, SkipCause? cause, int captures = 1) =>
        AlertCaptures.WithLabels(AutoCaptureMetrics.Label(decision), cause is { } c ? AutoCaptureMetrics.Label(c) : "").Inc(captures);

    public static void Finished(CaptureManifest manifest)
    {
        var state = AutoCaptureMetrics.Label(manifest.Status);
        foreach (var spec in manifest.Captures)
        {
            CapturesFinished.WithLabels(CaptureKinds.Label(spec.Kind), state).Inc();
        }

        if (manifest.CompletedAt is { } completed)
        {
            CaptureDuration.WithLabels(state).Observe((completed - manifest.CreatedAt).TotalSeconds);
        }
    }

    public static void Answered(CollectorVerdict verdict) => CollectorRequests.WithLabels(AutoCaptureMetrics.Label(verdict)).Inc();

    public static void ChatSent(ChatMessageKind message, ChatSendResult result, TimeSpan took)
    {
        var label = AutoCaptureMetrics.Label(message);
        ChatMessages.WithLabels(label, AutoCaptureMetrics.Label(result)).Inc();
        ChatSendDuration.WithLabels(label).Observe(took.TotalSeconds);
    }

    public static void HousekeepingRan(bool finished, DateTimeOffset now)
    {
        HousekeepingRuns.WithLabels(finished ? "finished" : "failed").Inc();
        if (finished)
        {
            HousekeepingLastSuccess.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        }
    }
}
