using System.Collections.Concurrent;
using System.Diagnostics;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Hosting;
using AutoCapture.Collector.Options;
using AutoCapture.Collector.Processes;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// Runs accepted capture requests in the background: resolve the process, check the allowlist, run each kind's
/// provider, write <c>summary.json</c> and <c>result.json</c> to the store, then report completion.
/// </summary>
public sealed class CaptureRunner(
    IProcessFinder processes,
    IEnumerable<ICaptureProvider> providers,
    CaptureStores stores,
    CompletionReporter completions,
    CollectorAdmission admission,
    CaptureJournal journal,
    StoreOutageRetry outageRetry,
    IOptions<CollectorOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<CaptureRunner> logger)
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts the capture, or says why this host cannot take it now: busy (409) or unable to keep its journal,
    /// e.g. a full disk (503). A request for a capture this collector is already running is accepted without
    /// starting it again: the webhook side asks again whenever it could not tell whether the first request
    /// arrived (an answer that timed out, an instance that died mid-dispatch, housekeeping), and a second run
    /// would be a duplicate capture of the target.
    /// </summary>
    public StartAnswer Start(CaptureRequest request)
    {
        var started = new TaskCompletionSource();
        if (!_running.TryAdd(request.CaptureId, started.Task))
        {
            return StartAnswer.AlreadyRunning;
        }

        if (admission.TryAdmit(request) is { } busy)
        {
            _running.TryRemove(request.CaptureId, out _);
            return new StartAnswer(StatusCodes.Status409Conflict, busy);
        }

        try
        {
            journal.Record(request);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            admission.Release(request.CaptureId);
            _running.TryRemove(request.CaptureId, out _);
            logger.LogError("Capture {CaptureId} refused: the journal cannot be written: {Reason}", request.CaptureId, e.Message);
            return new StartAnswer(StatusCodes.Status503ServiceUnavailable, $"the collector cannot write to its work directory: {e.Message}");
        }

        CollectorMetrics.InFlight.Inc();
        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(request, lifetime.ApplicationStopping);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Capture {CaptureId} crashed the runner", request.CaptureId);
            }
            finally
            {
                journal.Remove(request.CaptureId);
                _running.TryRemove(request.CaptureId, out _);
                admission.Release(request.CaptureId);
                CollectorMetrics.InFlight.Dec();
                started.SetResult();
            }
        });
        return StartAnswer.Started;
    }

    /// <summary>Waits for running captures (tests and shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    internal async Task<CaptureResult> RunAsync(CaptureRequest request, CancellationToken cancellationToken)
    {
        var startedAt = clock.GetUtcNow();
        var store = stores.For(request);
        var progress = new ProgressReports(request, completions, cancellationToken);
        var sink = new StoreArtifactSink(store, request.CaptureId, outageRetry, () =>
        {
            progress.Report(CaptureStatus.Uploading);
            return Task.CompletedTask;
        });
        var kinds = new List<KindResult>();
        var summary = new CaptureSummary();
        ResolvedProcess? process = null;
        string? error = null;
        var work = Path.Combine(options.Value.WorkDirectory, request.CaptureId);
        try
        {
            // The resolver also checks the allowlists (processes, addresses) before anything touches the target.
            process = await processes.ResolveAsync(request.Process, cancellationToken);
            progress.Report(CaptureStatus.Running);

            Directory.CreateDirectory(work);
            foreach (var spec in InTakingOrder(request))
            {
                var (kindResult, kindSummary) = await RunKindAsync(request, process, spec, sink, work, cancellationToken);
                CollectorMetrics.Captured(kindResult);
                kinds.Add(kindResult);
                summary = summary.Merge(kindSummary);
            }

            if (kinds.All(k => k.Outcome == KindOutcome.Failed))
            {
                error = string.Join("; ", kinds.Select(k => $"{k.Kind}: {k.Error}"));
            }

            await using var summaryJson = new MemoryStream(AutoCaptureJson.Serialize(summary, indented: true), writable: false);
            await sink.WriteAsync("summary.json", "summary", "application/json", summaryJson, cancellationToken);
        }
        catch (CaptureFailedException e)
        {
            error = e.Message;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error = "the collector shut down during the capture";
        }
        catch (StoreException e)
        {
            error = $"could not upload to the store: {e.Message}";
        }
        finally
        {
            TryDeleteDirectory(work);
        }

        var result = new CaptureResult(
            request.CaptureId,
            Succeeded: error is null,
            Error: error,
            Process: process,
            Kinds: kinds,
            Artifacts: sink.Written,
            Summary: summary,
            StartedAt: startedAt,
            CompletedAt: clock.GetUtcNow());
        if (error is null)
        {
            logger.LogInformation("Capture {CaptureId} finished: {Kinds} of {Process}, {Artifacts} artifacts", request.CaptureId, string.Join(", ", kinds.Select(k => $"{k.Kind} {k.Outcome.ToString().ToLowerInvariant()}")), process, result.Artifacts.Count);
        }
        else
        {
            logger.LogWarning("Capture {CaptureId} failed: {Reason}", request.CaptureId, error);
        }

        try
        {
            await outageRetry.ExecuteAsync(token => store.WriteJsonAsync(CaptureIds.ResultKey(request.CaptureId), result, WriteCondition.None, token), CancellationToken.None);
        }
        catch (StoreException e)
        {
            logger.LogError("Capture {CaptureId}: result could not be written to the store: {Reason}", request.CaptureId, e.Message);
        }

        // The target is free again: reporting may take minutes of retries while the webhook app is down, and must not
        // keep the next capture of this process waiting. The capture id stays known until then (a repeated request
        // is still not run twice).
        admission.Release(request.CaptureId);
        await progress.DrainAsync();
        if (request.CompletionUrl is { } url)
        {
            await completions.ReportAsync(url, result, CancellationToken.None);
        }

        return result;
    }

    /// <summary>
    /// The running and uploading reports go out in the background, one after the other, so the capture never waits
    /// for the webhook app to record them; the completion waits for them, so it is never overtaken by a report that
    /// would then be refused as a step back.
    /// </summary>
    private sealed class ProgressReports(CaptureRequest request, CompletionReporter completions, CancellationToken cancellationToken)
    {
        private readonly Lock _gate = new();
        private Task _sent = Task.CompletedTask;

        public void Report(CaptureStatus state)
        {
            if (request.ProgressUrl is not { } url)
            {
                return;
            }

            lock (_gate)
            {
                _sent = _sent.ContinueWith(
                    _ => completions.ReportProgressAsync(url, new CaptureProgress(request.CaptureId, state), cancellationToken),
                    CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            }
        }

        /// <summary>Waits for the reports sent so far; one cut short by shutdown is not worth failing the capture over.</summary>
        public async Task DrainAsync()
        {
            Task sent;
            lock (_gate)
            {
                sent = _sent;
            }

            await sent.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Go heap profiles first: serving any other profile or dump allocates in the target (gzip writers, buffers), and
    /// a heap profile taken after it would count that as the program's own memory. The rest keep the rule's order.
    /// </summary>
    internal static IEnumerable<CaptureSpec> InTakingOrder(CaptureRequest request) =>
        request.Process.Runtime == Runtimes.Go
            ? request.Captures.OrderBy(c => c.Kind is CaptureKinds.Heap or CaptureKinds.Allocs ? 0 : 1)
            : request.Captures;

    private async Task<(KindResult, CaptureSummary)> RunKindAsync(CaptureRequest request, ResolvedProcess process, CaptureSpec spec, IArtifactSink sink, string work, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var provider = providers.FirstOrDefault(p => p.Runtime == request.Process.Runtime && p.Kind == spec.Kind);
        if (provider is null)
        {
            return (new KindResult(spec.Kind, KindOutcome.Failed, $"this collector cannot capture {spec.Kind} of {request.Process.Runtime} processes", 0), new CaptureSummary());
        }

        var requested = spec.DurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : CaptureKinds.DefaultDuration(spec.Kind);
        var duration = requested > options.Value.MaxDuration ? options.Value.MaxDuration : requested;
        var kindWork = Path.Combine(work, spec.Kind);
        Directory.CreateDirectory(kindWork);
        logger.LogInformation("Capture {CaptureId}: {Kind} of {Process} for {Duration}", request.CaptureId, spec.Kind, process, duration);
        try
        {
            var summary = await provider.CaptureAsync(new CaptureContext(request.CaptureId, process, spec, duration, sink, kindWork), cancellationToken);
            return (new KindResult(spec.Kind, KindOutcome.Succeeded, null, stopwatch.Elapsed.TotalSeconds), summary);
        }
        catch (CaptureFailedException e)
        {
            logger.LogWarning("Capture {CaptureId}: {Kind} failed: {Reason}", request.CaptureId, spec.Kind, e.Message);
            return (new KindResult(spec.Kind, KindOutcome.Failed, e.Message, stopwatch.Elapsed.TotalSeconds), new CaptureSummary());
        }
        catch (Exception e) when (e is not OperationCanceledException and not StoreException)
        {
            logger.LogError(e, "Capture {CaptureId}: {Kind} failed unexpectedly", request.CaptureId, spec.Kind);
            return (new KindResult(spec.Kind, KindOutcome.Failed, $"unexpected error: {e.Message}", stopwatch.Elapsed.TotalSeconds), new CaptureSummary());
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Scratch space; the next start of the collector clears what is left.
        }
    }
}

/// <summary>What the collector answers a capture request: 202 (started, or already running) or why not.</summary>
public sealed record StartAnswer(int Status, string Message)
{
    public static StartAnswer Started { get; } = new(StatusCodes.Status202Accepted, "accepted");

    public static StartAnswer AlreadyRunning { get; } = new(StatusCodes.Status202Accepted, "already running");

    public bool Accepted => Status == StatusCodes.Status202Accepted;
}
