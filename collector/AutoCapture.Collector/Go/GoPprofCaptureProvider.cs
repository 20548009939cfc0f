using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Profiles;
using AutoCapture.Profiles.Pprof;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Go pprof profiles (cpu, heap, allocs, block, mutex, threadcreate): the gzip-framed protobuf as served, stored as
/// <c>{kind}.pb.gz</c> (open with <c>go tool pprof</c>), summarised as the top functions for the profile's default
/// sample type. cpu also fills the cross-runtime cpu section, heap the heap section.
/// </summary>
public sealed class GoPprofCaptureProvider(string kind, GoProfileSource source) : ICaptureProvider
{
    public string Runtime => Runtimes.Go;

    public string Kind => kind;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var path = Path.Combine(context.WorkDirectory, $"{kind}.pb.gz");
        var request = kind switch
        {
            CaptureKinds.Cpu when GoProfileSource.ByAgent(context.Process) => new GoRequest("/debug/pprof/profile", GopsCommand.CpuProfile, GopsAgentClient.CpuProfileTime),
            CaptureKinds.Cpu => new GoRequest($"/debug/pprof/profile?seconds={Seconds(context.Duration)}", null, TimeSpan.FromSeconds(Seconds(context.Duration))),
            CaptureKinds.Heap => new GoRequest("/debug/pprof/heap", GopsCommand.HeapProfile, TimeSpan.Zero),
            _ => new GoRequest($"/debug/pprof/{kind}", null, TimeSpan.Zero),
        };
        await source.FetchAsync(context.Process, request, path, cancellationToken);

        var data = await File.ReadAllBytesAsync(path, cancellationToken);
        var mainModule = GoBuildInfo.MainModuleOf(context.Process);
        var summary = await CaptureSteps.AnalyseAsync($"{kind}.pb.gz", () => Summarize(kind, data, mainModule), cancellationToken);
        await context.Artifacts.UploadAsync(path, kind, "application/octet-stream", cancellationToken);
        return summary;
    }

    /// <summary>Parses and summarises a served profile; input that is not one fails the capture with the reason.</summary>
    /// <param name="mainModule">The target's main module from its build information, when known.</param>
    internal static CaptureSummary Summarize(string kind, byte[] data, string? mainModule)
    {
        PprofProfile profile;
        try
        {
            profile = PprofProfile.Parse(data);
        }
        catch (ProfileFormatException e)
        {
            throw new CaptureFailedException($"the {kind} profile cannot be read: {e.Message}", e);
        }

        var goCode = GoOwnCode.FromFiles(profile.FunctionNames.Zip(profile.FunctionFiles), mainModule);
        var summary = new CaptureSummary
        {
            Profiles = new Dictionary<string, PprofSummary> { [kind] = PprofSummarizer.Summarize(profile) },
            GoLibraries = goCode.Libraries,
            GoMainModule = mainModule,
        };
        return kind switch
        {
            CaptureKinds.Cpu => summary with { Cpu = CpuSection(profile, goCode) },
            CaptureKinds.Heap => summary with { Heap = HeapSection(profile) },
            _ => summary,
        };
    }

    // Ranked by sample count, like the .NET cpu section: each sample is one period of CPU time.
    private static CpuProfileSummary CpuSection(PprofProfile profile, GoOwnCode goCode)
    {
        var samples = profile.FindSampleType("samples") is >= 0 ? "samples" : null;
        var counted = PprofSummarizer.Summarize(profile, samples);
        return new CpuProfileSummary(
            counted.DurationSeconds,
            counted.Total,
            ThreadCount: 0,
            counted.TopFlat.Select(f => new FrameStat(f.Function, f.Value, f.Percent)).ToList(),
            counted.TopCum.Select(f => new FrameStat(f.Function, f.Value, f.Percent)).ToList())
        {
            TopOwn = PprofSummarizer.TopOwn(profile, samples, goCode.IsOwn, OwnCode.IsGoProfilerFrame),
            OnCpuSeconds = counted.PeriodUnit == "nanoseconds" ? counted.Total * counted.Period / 1e9 : null,
        };
    }

    // Live memory by the function that allocated it: Go's heap profile records allocation sites, not types.
    private static HeapSummary HeapSection(PprofProfile profile)
    {
        var bytes = PprofSummarizer.Summarize(profile, profile.FindSampleType("inuse_space") >= 0 ? "inuse_space" : null);
        PprofSummary? objects = profile.FindSampleType("inuse_objects") >= 0
            ? PprofSummarizer.Summarize(profile, "inuse_objects", int.MaxValue)
            : null;
        var objectsByFunction = objects?.TopFlat.ToDictionary(f => f.Function, f => f.Value, StringComparer.Ordinal);
        return new HeapSummary(
            "function",
            bytes.Total,
            objects?.Total,
            bytes.TopFlat.Select(f => new HeapEntry(f.Function, f.Value, objectsByFunction?.GetValueOrDefault(f.Function), f.Percent)).ToList());
    }

    private static int Seconds(TimeSpan duration) => Math.Max(1, (int)Math.Round(duration.TotalSeconds));
}
