using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Go;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Dotnet;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>The Go capture providers wired as the collector wires them, over a private workspace.</summary>
public sealed class GoCaptureKit : IDisposable
{
    private readonly HttpClient http;

    public GoCaptureKit(TimeSpan? requestTimeout = null)
    {
        Options = new CollectorOptions { Go = new GoCaptureOptions { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30) } };
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        http = new HttpClient(PprofHttpClient.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        Pprof = new PprofHttpClient(http, options);
        Gops = new GopsAgentClient(options);
        Source = new GoProfileSource(Pprof, Gops);
    }

    public CollectorOptions Options { get; }

    public PprofHttpClient Pprof { get; }

    public GopsAgentClient Gops { get; }

    public GoProfileSource Source { get; }

    public CaptureWorkspace Workspace { get; } = new();

    public ICaptureProvider Provider(string kind) => kind switch
    {
        CaptureKinds.Goroutines => new GoGoroutinesCaptureProvider(Source),
        CaptureKinds.Trace => new GoTraceCaptureProvider(Source),
        CaptureKinds.Counters => new GoAgentCountersCaptureProvider(Source),
        _ => new GoPprofCaptureProvider(kind, Source),
    };

    /// <summary>Captures one kind into a fresh sub-folder of the workspace (kinds may run side by side).</summary>
    /// <param name="sink">Where artifacts go; the workspace's sink unless given (captures side by side need their own).</param>
    public Task<AutoCapture.Core.Summaries.CaptureSummary> CaptureAsync(ResolvedProcess target, string kind, TimeSpan duration = default, IArtifactSink? sink = null)
    {
        var folder = Directory.CreateTempSubdirectory($"{kind}-").FullName;
        var work = Path.Combine(Workspace.Directory, Path.GetFileName(folder));
        Directory.Delete(folder);
        Directory.CreateDirectory(work);
        var context = Workspace.Context(target, kind, duration) with { WorkDirectory = work, Artifacts = sink ?? Workspace.Sink };
        return Provider(kind).CaptureAsync(context, CancellationToken.None);
    }

    public void Dispose()
    {
        http.Dispose();
        Workspace.Dispose();
    }
}
