using AutoCapture.Core.Hosting;
using Prometheus;

namespace AutoCapture.Core.Storage;

/// <summary>What a store round trip did, for the latency histogram.</summary>
public enum StoreOperation
{
    Read,
    Write,
    List,
    Delete,
    Other,
}

/// <summary>Store latency, shared by both processes (the same store serves both).</summary>
public static class StoreMetrics
{
    public static readonly Histogram OperationDuration = AutoCaptureMetrics.Factory.CreateHistogram(
        "autocapture_store_operation_duration_seconds", "One round trip to the blob store (each retry is one), by operation.", AutoCaptureMetrics.Durations("operation"));

    public static void Observe(StoreOperation operation, TimeSpan took) =>
        OperationDuration.WithLabels(AutoCaptureMetrics.Label(operation)).Observe(took.TotalSeconds);

    /// <summary>The operation a blob REST request performs: listings (by prefix or tags) are GETs with their own query.</summary>
    internal static StoreOperation Of(string method, string query)
    {
        if (query.Contains("comp=list", StringComparison.Ordinal) || query.Contains("comp=blobs", StringComparison.Ordinal))
        {
            return StoreOperation.List;
        }

        return method switch
        {
            "GET" or "HEAD" => StoreOperation.Read,
            "PUT" => StoreOperation.Write,
            "DELETE" => StoreOperation.Delete,
            _ => StoreOperation.Other,
        };
    }
}
