using AutoCapture.Collector.Hosting;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Hosting;

namespace AutoCapture.Tests.Monitoring;

/// <summary>Label values come from fixed sets, whatever a sender or a hand-edited manifest says.</summary>
public sealed class MetricLabelTests
{
    [Theory]
    [InlineData("alertmanager", "alertmanager")]
    [InlineData("azuremonitor", "azuremonitor")]
    [InlineData("Alertmanager", "unknown")]
    [InlineData("x\"} 1\nautocapture_deliveries_total{source=\"forged", "unknown")]
    public void A_source_label_is_a_known_source_or_unknown(string route, string label) =>
        Assert.Equal(label, WebhookMetrics.SourceLabel(route));

    [Theory]
    [InlineData("stacks", "stacks")]
    [InlineData("goroutines", "goroutines")]
    [InlineData("CPU", "other")]
    [InlineData("cpu\"}", "other")]
    public void A_kind_label_is_a_known_kind_or_other(string kind, string label) =>
        Assert.Equal(label, CaptureKinds.Label(kind));

    [Fact]
    public void Enum_labels_are_the_member_names_lowercased()
    {
        Assert.Equal("collectornotallowed", AutoCaptureMetrics.Label(SkipCause.CollectorNotAllowed));
        Assert.Equal("storeunavailable", AutoCaptureMetrics.Label(DeliveryOutcome.StoreUnavailable));
        Assert.Equal("complete", AutoCaptureMetrics.Label(CaptureStatus.Complete));
    }

    [Theory]
    [InlineData(401, DeliveryOutcome.Unauthorized)]
    [InlineData(403, DeliveryOutcome.Unauthorized)]
    [InlineData(429, DeliveryOutcome.Throttled)]
    [InlineData(400, DeliveryOutcome.Rejected)]
    [InlineData(404, DeliveryOutcome.Rejected)]
    [InlineData(413, DeliveryOutcome.Rejected)]
    public void A_refused_delivery_is_counted_by_its_status(int status, DeliveryOutcome outcome) =>
        Assert.Equal(outcome, WebhookMetrics.OutcomeOf(status));

    [Theory]
    [InlineData(202, CaptureRequestResult.Accepted)]
    [InlineData(400, CaptureRequestResult.Invalid)]
    [InlineData(401, CaptureRequestResult.Unauthorized)]
    [InlineData(409, CaptureRequestResult.Busy)]
    [InlineData(413, CaptureRequestResult.TooLarge)]
    [InlineData(503, CaptureRequestResult.Unavailable)]
    public void A_collector_answer_is_counted_by_its_status(int status, CaptureRequestResult result) =>
        Assert.Equal(result, CollectorMetrics.ResultOf(status));
}
