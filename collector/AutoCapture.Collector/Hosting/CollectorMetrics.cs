using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using Prometheus;

namespace AutoCapture.Collector.Hosting;

/// <summary>How the collector answered a capture request.</summary>
public enum CaptureRequestResult
{
    Accepted,
    Invalid,
    Unauthorized,
    Busy,
    TooLarge,
    Unavailable,
}

/// <summary>The collector's metrics (docs/monitoring.md lists them with the alerts built on them).</summary>
public static class CollectorMetrics
{
    public static readonly Counter Requests = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_collector_capture_requests_total", "Capture requests this collector received, by its answer.", ["result"]);

    public static readonly Gauge InFlight = AutoCaptureMetrics.Factory.CreateGauge(
        "autocapture_collector_captures_in_flight", "Captures running on this collector now.");

    public static readonly Counter Kinds = AutoCaptureMetrics.Factory.CreateCounter(
        "autocapture_collector_kinds_total", "Kinds captured, by kind and outcome.", ["kind", "outcome"]);

    public static readonly Histogram KindDuration = AutoCaptureMetrics.Factory.CreateHistogram(
        "autocapture_collector_kind_duration_seconds", "Time to capture one kind, including its summary.", AutoCaptureMetrics.Durations("kind"));

    public static readonly Histogram UploadDuration = AutoCaptureMetrics.Factory.CreateHistogram(
        "autocapture_collector_upload_duration_seconds", "Time to stream one artifact to the store, retries included.", AutoCaptureMetrics.Durations());

    public static void Answered(int status) => Requests.WithLabels(AutoCaptureMetrics.Label(ResultOf(status))).Inc();

    public static CaptureRequestResult ResultOf(int status) => status switch
    {
        StatusCodes.Status202Accepted => CaptureRequestResult.Accepted,
        StatusCodes.Status401Unauthorized => CaptureRequestResult.Unauthorized,
        StatusCodes.Status409Conflict => CaptureRequestResult.Busy,
        StatusCodes.Status413PayloadTooLarge => CaptureRequestResult.TooLarge,
        >= StatusCodes.Status500InternalServerError => CaptureRequestResult.Unavailable,
        _ => CaptureRequestResult.Invalid,
    };

    public static void Captured(KindResult kind)
    {
        var label = CaptureKinds.Label(kind.Kind);
        Kinds.WithLabels(label, AutoCaptureMetrics.Label(kind.Outcome)).Inc();
        KindDuration.WithLabels(label).Observe(kind.Seconds);
    }
}
