using System.Collections.Frozen;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace AutoCapture.Core.Hosting;

/// <summary>
/// Where both processes make their metrics and serve them at <c>GET /metrics</c>. Metrics are static fields of a
/// class per process, so counting on a hot path allocates nothing; labels are bounded sets (enum names, known kinds
/// and sources), never capture ids or alert labels, which an alert sender controls.
/// </summary>
public static class AutoCaptureMetrics
{
    /// <summary>Latency buckets from a store round trip (ms) up to a long capture (minutes).</summary>
    public static readonly double[] DurationBuckets = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

    /// <summary>Every AutoCapture metric is made here, after the default registry has been trimmed.</summary>
    public static readonly IMetricFactory Factory = TrimmedFactory();

    public static void MapAutoCaptureMetrics(this IEndpointRouteBuilder app) => app.MapMetrics("/metrics");

    public static HistogramConfiguration Durations(params string[] labelNames) => new() { LabelNames = labelNames, Buckets = DurationBuckets };

    /// <summary>The label value for an enum member: its name, lowercased.</summary>
    public static string Label<T>(T value) where T : struct, Enum => EnumLabels<T>.Names[value];

    private static MetricFactory TrimmedFactory()
    {
        // Event counters and meters would publish every runtime and ASP.NET Core instrument under names and labels
        // of their own, several hundred series per process; process metrics (CPU, memory, GC) stay.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
        return Metrics.DefaultFactory;
    }

    /// <summary>Lowercased names made once per enum type, so labelling a sample allocates no string.</summary>
    private static class EnumLabels<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> Names = Enum.GetValues<T>().ToFrozenDictionary(v => v, v => v.ToString().ToLowerInvariant());
    }
}
