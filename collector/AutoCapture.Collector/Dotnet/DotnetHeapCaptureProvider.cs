using System.Diagnostics.Tracing;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// .NET heap: a GC heap snapshot over EventPipe (what dotnet-gcdump takes), stored raw as heap.nettrace and reduced
/// to a type histogram (every type in heap.types.json, for diffs with a baseline). The snapshot keywords make the runtime run a full, blocking (non-concurrent) gen-2 GC that
/// walks every live object: the process pauses for that GC, typically tens of milliseconds per 100 MB of live heap;
/// the summary reports the pause measured.
/// </summary>
public sealed class DotnetHeapCaptureProvider : ICaptureProvider
{
    internal static readonly EventPipeProvider[] Providers =
    [
        new("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GCHeapSnapshot),
    ];

    // The walk of a multi-gigabyte heap can take a while; past this the snapshot is given up.
    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromMinutes(2);

    public string Runtime => Runtimes.Dotnet;

    public string Kind => CaptureKinds.Heap;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var tracePath = Path.Combine(context.WorkDirectory, "heap.nettrace");
        var histogram = new GcHeapHistogram();
        var complete = await LiveEventPipe.RunAsync(context.Process, Providers, tracePath, SnapshotTimeout, histogram.Subscribe, cancellationToken);
        if (!complete)
        {
            throw new CaptureFailedException(
                $"{EventPipeRecorder.Describe(context.Process)} did not finish the heap snapshot GC within {SnapshotTimeout.TotalSeconds:0} s ({histogram.ObjectCount} objects seen)");
        }

        await context.Artifacts.UploadAsync(tracePath, Kind, "application/octet-stream", cancellationToken);
        var typesPath = Path.Combine(context.WorkDirectory, "heap.types.json");
        await File.WriteAllBytesAsync(typesPath, AutoCaptureJson.Serialize(histogram.Types()), cancellationToken);
        await context.Artifacts.UploadAsync(typesPath, Kind, "application/json", cancellationToken);
        return new CaptureSummary { Heap = histogram.Summarize() };
    }
}
