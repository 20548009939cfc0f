using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Go execution trace (<c>/debug/pprof/trace?seconds=N</c>, or the gops agent's fixed 5 s), stored as trace.out for
/// <c>go tool trace</c>. No summary section: a trace is for looking at, not for ranking.
/// </summary>
public sealed class GoTraceCaptureProvider(GoProfileSource source) : ICaptureProvider
{
    // Every Go execution trace starts "go 1.NN trace".
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("go 1.");

    public string Runtime => Runtimes.Go;

    public string Kind => CaptureKinds.Trace;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var path = Path.Combine(context.WorkDirectory, "trace.out");
        var seconds = Math.Max(1, (int)Math.Round(context.Duration.TotalSeconds));
        var request = GoProfileSource.ByAgent(context.Process)
            ? new GoRequest("/debug/pprof/trace", GopsCommand.Trace, GopsAgentClient.TraceTime)
            : new GoRequest($"/debug/pprof/trace?seconds={seconds}", null, TimeSpan.FromSeconds(seconds));
        await source.FetchAsync(context.Process, request, path, cancellationToken);

        var head = new byte[Magic.Length];
        await using (var file = File.OpenRead(path))
        {
            await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        }

        if (!head.AsSpan().SequenceEqual(Magic))
        {
            throw new CaptureFailedException("the target's answer is not a Go execution trace (it does not start with \"go 1.\")");
        }

        await context.Artifacts.UploadAsync(path, Kind, "application/octet-stream", cancellationToken);
        return new CaptureSummary();
    }
}
