using System.Diagnostics.Tracing;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// .NET cpu: a sampled EventPipe trace for the capture's duration, stored as cpu.nettrace and cpu.speedscope.json,
/// summarised as the top frames; every frame's on-CPU samples go to cpu.functions.json for diffs with a baseline.
/// </summary>
public sealed class DotnetCpuCaptureProvider : ICaptureProvider
{
    // dotnet-trace's cpu-sampling profile: the sampler, plus the runtime events that name methods jitted meanwhile.
    internal static readonly EventPipeProvider[] Providers =
    [
        new("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
        new("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.Default),
    ];

    public string Runtime => Runtimes.Dotnet;

    public string Kind => CaptureKinds.Cpu;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        if (context.Duration <= TimeSpan.Zero)
        {
            throw new CaptureFailedException($"a cpu capture needs a positive duration, not {context.Duration}");
        }

        var tracePath = Path.Combine(context.WorkDirectory, "cpu.nettrace");
        var speedscopePath = Path.Combine(context.WorkDirectory, "cpu.speedscope.json");

        await EventPipeRecorder.RecordAsync(context.Process, Providers, context.Duration, tracePath, cancellationToken);
        var functionsPath = Path.Combine(context.WorkDirectory, "cpu.functions.json");
        var cpu = await context.Artifacts.StoreWhileAnalysingAsync(
            tracePath, Kind, () => NettraceCpuAnalyzer.Analyze(tracePath, speedscopePath, functionsPath: functionsPath, window: context.Duration), cancellationToken);
        await context.Artifacts.UploadAsync(speedscopePath, Kind, "application/json", cancellationToken);
        await context.Artifacts.UploadAsync(functionsPath, Kind, "application/json", cancellationToken);
        return new CaptureSummary { Cpu = cpu };
    }
}
