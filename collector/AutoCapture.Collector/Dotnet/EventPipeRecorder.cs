using System.Diagnostics;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using Microsoft.Diagnostics.NETCore.Client;

namespace AutoCapture.Collector.Dotnet;

/// <summary>Records an EventPipe session of a .NET process into a .nettrace file, turning every failure into words.</summary>
internal static class EventPipeRecorder
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    // After Stop the runtime writes the rundown (the names of every jitted method); big apps take a while.
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private const int CircularBufferMB = 256;

    /// <summary>
    /// Traces <paramref name="process"/> for <paramref name="duration"/>, with rundown, into a new file at
    /// <paramref name="path"/>. On return the file is a complete trace; on cancellation the session is stopped.
    /// </summary>
    public static async Task RecordAsync(
        ResolvedProcess process,
        IReadOnlyList<EventPipeProvider> providers,
        TimeSpan duration,
        string path,
        CancellationToken cancellationToken)
    {
        // Unbuffered: the copy writes large chunks anyway, and a write that fails (a full disk) must fail in the copy,
        // where it is reported, not later when the file is closed.
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
        var session = await StartAsync(process, providers, cancellationToken);

        // Not tied to the caller's token: the stream must be drained until the runtime closes it after the rundown.
        var copy = CopyAsync(session.EventStream, file, path);
        try
        {
            var clock = Stopwatch.StartNew();
            var window = Task.Delay(duration, cancellationToken);
            if (await Task.WhenAny(copy, window) == copy)
            {
                ThrowIfWriteFailed(copy);
                var reason = $"{Describe(process)} ended the trace after {clock.Elapsed.TotalSeconds:F1} s of "
                    + $"{duration.TotalSeconds:F1} s: it exited or dropped the diagnostics connection";
                throw copy.Exception?.GetBaseException() is { } error
                    ? new CaptureFailedException($"{reason} ({error.Message})", error)
                    : new CaptureFailedException(reason);
            }

            cancellationToken.ThrowIfCancellationRequested();
            await StopAndDrainAsync(session, copy, process);
        }
        finally
        {
            // Dispose stops a session still running (cancellation, failure) and closes the stream, which ends the copy.
            session.Dispose();
            // Wait for the copy to let go of the file before it is closed; its fault, if any, is already reported.
            await copy.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    internal static async Task<EventPipeSession> StartAsync(
        ResolvedProcess process, IReadOnlyList<EventPipeProvider> providers, CancellationToken cancellationToken, bool rundown = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            return await new DiagnosticsClient(process.Pid)
                .StartEventPipeSessionAsync(providers, rundown, CircularBufferMB, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CaptureFailedException(
                $"{Describe(process)} did not answer the request to start a trace within {StartTimeout.TotalSeconds:F0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CaptureFailedException($"cannot start a trace in {Describe(process)}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies the session's events into the trace file. A write that fails (typically a full disk) becomes a
    /// <see cref="CaptureFailedException"/> saying so; a failed read (the target went away) stays what it is.
    /// </summary>
    internal static async Task CopyAsync(Stream events, Stream file, string path)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await events.ReadAsync(buffer)) > 0)
        {
            try
            {
                await file.WriteAsync(buffer.AsMemory(0, read));
            }
            catch (IOException e)
            {
                throw new CaptureFailedException($"could not write the trace to {Path.GetFileName(path)} in the work directory: {e.Message}", e);
            }
        }
    }

    /// <summary>Nothing reads the session any more once the copy failed: the capture fails with the reason, not a stop timeout.</summary>
    private static void ThrowIfWriteFailed(Task copy)
    {
        if (copy.Exception?.GetBaseException() is CaptureFailedException failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }
    }

    internal static async Task StopAndDrainAsync(EventPipeSession session, Task copy, ResolvedProcess process)
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            var stop = session.StopAsync(timeout.Token);
            if (await Task.WhenAny(stop, copy) == copy)
            {
                ThrowIfWriteFailed(copy);
            }

            await stop;
            await copy.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new CaptureFailedException(
                $"{Describe(process)} did not finish the trace within {StopTimeout.TotalSeconds:F0} s of being asked to stop");
        }
        catch (Exception e) when (e is not (OperationCanceledException or CaptureFailedException))
        {
            ThrowIfWriteFailed(copy);
            throw new CaptureFailedException(
                $"lost {Describe(process)} while stopping the trace: it exited or dropped the diagnostics connection ({e.Message})", e);
        }
    }

    internal static string Describe(ResolvedProcess process) => $"process {process.Pid} ({process.Name})";
}
