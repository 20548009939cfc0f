using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Profiles;
using AutoCapture.Profiles.Goroutines;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Go goroutines: the full text dump (<c>debug=2</c>, or the gops stack command) as goroutines.txt, grouped into the
/// summary; by address also the protobuf profile (<c>debug=0</c>) as goroutines.pb.gz for <c>go tool pprof</c>.
/// </summary>
public sealed class GoGoroutinesCaptureProvider(GoProfileSource source) : ICaptureProvider
{
    public string Runtime => Runtimes.Go;

    public string Kind => CaptureKinds.Goroutines;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var textPath = Path.Combine(context.WorkDirectory, "goroutines.txt");
        await source.FetchAsync(context.Process, new GoRequest("/debug/pprof/goroutine?debug=2", GopsCommand.StackDump, TimeSpan.Zero), textPath, cancellationToken);
        var mainModule = GoBuildInfo.MainModuleOf(context.Process);
        var summary = await CaptureSteps.AnalyseAsync("goroutines.txt", () => Summarize(textPath, mainModule), cancellationToken);
        await context.Artifacts.UploadAsync(textPath, Kind, "text/plain", cancellationToken);

        if (GoProfileSource.ByAgent(context.Process))
        {
            return summary;
        }

        var protoPath = Path.Combine(context.WorkDirectory, "goroutines.pb.gz");
        await source.FetchAsync(context.Process, new GoRequest("/debug/pprof/goroutine", null, TimeSpan.Zero), protoPath, cancellationToken);
        var data = await File.ReadAllBytesAsync(protoPath, cancellationToken);
        var profile = await CaptureSteps.AnalyseAsync("goroutines.pb.gz", () => GoPprofCaptureProvider.Summarize(Kind, data, mainModule), cancellationToken);
        await context.Artifacts.UploadAsync(protoPath, Kind, "application/octet-stream", cancellationToken);
        return summary.Merge(profile);
    }

    /// <summary>The dump grouped, and the dependencies its file:line lines show (see <see cref="GoOwnCode"/>).</summary>
    internal static CaptureSummary Summarize(string dumpPath, string? mainModule)
    {
        try
        {
            using var reader = new StreamReader(dumpPath);
            var goroutines = GoroutineDump.Parse(reader);
            var frames = goroutines.SelectMany(g => g.CreatedBy is { } creator ? g.Frames.Append(creator) : g.Frames);
            return new CaptureSummary
            {
                Goroutines = GoroutineGrouper.Summarize(goroutines),
                GoLibraries = GoOwnCode.FromFiles(frames.Select(f => (f.Function, f.File)), mainModule).Libraries,
                GoMainModule = mainModule,
            };
        }
        catch (ProfileFormatException e)
        {
            throw new CaptureFailedException($"the goroutine dump cannot be read: {e.Message}", e);
        }
    }
}
