using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;

namespace AutoCapture.Collector.Dotnet;

/// <summary>Steps the .NET providers share, each turning its failures into capture failures.</summary>
internal static class CaptureSteps
{
    /// <summary>Streams a file from the work directory to the sink; a store failure becomes a capture failure.</summary>
    public static async Task<ArtifactInfo> UploadAsync(
        this IArtifactSink sink, string path, string kind, string contentType, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        try
        {
            await using var content = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            return await sink.WriteAsync(name, kind, contentType, content, cancellationToken);
        }
        catch (Exception e) when (e is not (OperationCanceledException or CaptureFailedException))
        {
            throw new CaptureFailedException($"could not store {name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Stores the raw trace while it is analysed, so the message waits for the slower of the two rather than both in
    /// turn. The upload is awaited even when the analysis fails: the raw trace survives one that cannot be summarised.
    /// </summary>
    public static async Task<T> StoreWhileAnalysingAsync<T>(
        this IArtifactSink sink, string tracePath, string kind, Func<T> analysis, CancellationToken cancellationToken)
    {
        var upload = sink.UploadAsync(tracePath, kind, "application/octet-stream", cancellationToken);
        try
        {
            return await AnalyseAsync(Path.GetFileName(tracePath), analysis, cancellationToken);
        }
        finally
        {
            await upload;
        }
    }

    /// <summary>Runs a trace analysis off the caller's thread; a trace TraceEvent cannot read becomes a capture failure.</summary>
    public static async Task<T> AnalyseAsync<T>(string traceName, Func<T> analysis, CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(analysis, cancellationToken);
        }
        catch (Exception e) when (e is not (OperationCanceledException or CaptureFailedException))
        {
            throw new CaptureFailedException($"could not analyse {traceName}: {e.Message}", e);
        }
    }
}
