using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.IO;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// An EventPipe session read while it runs: every byte goes to a .nettrace file (the raw artifact) and, on the way,
/// through a TraceEvent parser whose handlers decide when enough has been seen.
/// </summary>
internal static class LiveEventPipe
{
    /// <param name="subscribe">Adds handlers to the parser; calling the action it is given ends the session early.</param>
    /// <param name="window">The longest the session runs.</param>
    /// <param name="rundown">Whether the session ends with the names of every jitted method: only stacks need them.</param>
    /// <returns>True when the handlers ended the session, false when the window ran out.</returns>
    public static async Task<bool> RunAsync(
        ResolvedProcess process,
        IReadOnlyList<EventPipeProvider> providers,
        string tracePath,
        TimeSpan window,
        Action<EventPipeEventSource, Action> subscribe,
        CancellationToken cancellationToken,
        bool rundown = true)
    {
        await using var file = new FileStream(tracePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var session = await EventPipeRecorder.StartAsync(process, providers, cancellationToken, rundown);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var parsing = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(new TeeStream(session.EventStream, file));
            subscribe(source, () => enough.TrySetResult());
            source.Process();
        }, CancellationToken.None);
        try
        {
            var elapsed = Task.Delay(window, cancellationToken);
            var first = await Task.WhenAny(parsing, elapsed, enough.Task);
            if (first == parsing)
            {
                var reason = $"{EventPipeRecorder.Describe(process)} ended the session before it was complete: it exited or dropped the diagnostics connection";
                throw parsing.Exception?.GetBaseException() is { } error
                    ? new CaptureFailedException($"{reason} ({error.Message})", error)
                    : new CaptureFailedException(reason);
            }

            cancellationToken.ThrowIfCancellationRequested();
            await EventPipeRecorder.StopAndDrainAsync(session, parsing, process);
            return first == enough.Task;
        }
        finally
        {
            session.Dispose();
            await parsing.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Hands the parser everything it reads and copies the same bytes to the trace file.</summary>
    private sealed class TeeStream(Stream source, Stream copy) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = source.Read(buffer);
            copy.Write(buffer[..read]);
            return read;
        }
    }
}
