using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Dotnet;

/// <summary>A capture context over a private work directory and an in-memory sink; the directory goes on Dispose.</summary>
public sealed class CaptureWorkspace : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("autocapture-dotnet-").FullName;

    public MemoryArtifactSink Sink { get; } = new();

    public CaptureContext Context(ResolvedProcess process, string kind, TimeSpan duration) =>
        new($"test-{Guid.NewGuid():N}", process, new CaptureSpec(kind, (int)duration.TotalSeconds), duration, Sink, Directory);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
