using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Captures;

/// <summary>
/// One capture kind for one runtime (e.g. .NET cpu). Providers write their artifacts through the sink, which
/// streams them to the store and records size and SHA-256, and return the summary section for their kind.
/// </summary>
public interface ICaptureProvider
{
    string Runtime { get; }

    string Kind { get; }

    Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken);
}

/// <summary>Everything a provider needs for one capture.</summary>
/// <param name="WorkDirectory">A private scratch folder for this capture, deleted afterwards.</param>
public sealed record CaptureContext(
    string CaptureId,
    ResolvedProcess Process,
    CaptureSpec Spec,
    TimeSpan Duration,
    IArtifactSink Artifacts,
    string WorkDirectory);

/// <summary>Where providers put artifacts. Every artifact lands in the store under the capture's folder.</summary>
public interface IArtifactSink
{
    Task<ArtifactInfo> WriteAsync(string name, string kind, string contentType, Stream content, CancellationToken cancellationToken);
}

/// <summary>A capture that cannot go on, with the reason in words for the manifest and chat.</summary>
public sealed class CaptureFailedException : Exception
{
    public CaptureFailedException(string message) : base(message) { }
    public CaptureFailedException(string message, Exception inner) : base(message, inner) { }
    public CaptureFailedException() { }
}
