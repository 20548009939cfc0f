using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Functions.Dispatch;

/// <summary>Calls the collector for each accepted capture and records on the manifest whether it took the job.</summary>
public sealed class DispatchWorker(
    DispatchQueue queue,
    CollectorClient collectors,
    ManifestStore manifests,
    PublicUrls urls,
    ChatDispatcher chat,
    CaptureLimits limits,
    TimeProvider clock,
    ILogger<DispatchWorker> logger) : BackgroundService
{
    private const int Parallelism = 8;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Parallel.ForEachAsync(
            queue.ReadAllAsync(stoppingToken),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
            async (captureId, token) =>
            {
                try
                {
                    await DispatchAsync(captureId, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    logger.LogError(e, "Dispatch of capture {CaptureId} failed unexpectedly", captureId);
                }
            });

    internal async Task DispatchAsync(string captureId, CancellationToken cancellationToken)
    {
        var manifest = await manifests.ReadAsync(captureId, cancellationToken);
        if (manifest is not { Status: CaptureStatus.Pending })
        {
            return;
        }

        var request = new CaptureRequest(captureId, manifest.Target.Process, manifest.Captures, urls.CompletionUrl(captureId));
        logger.LogInformation("Capture {CaptureId}: asking collector {Collector} for {Kinds} of {Process}", captureId, manifest.Target.Collector, string.Join(", ", manifest.Captures.Select(c => c.Kind)), manifest.Target.Process);
        var answer = await collectors.RequestCaptureAsync(manifest.Target.Collector, request, cancellationToken);
        var now = clock.GetUtcNow();
        if (answer.Verdict == CollectorVerdict.Accepted)
        {
            var recorded = await manifests.UpdateAsync(captureId, m =>
                m.Status == CaptureStatus.Pending ? m with
                {
                    Status = CaptureStatus.Running,
                    DispatchedAt = now,
                    DispatchAttempts = m.DispatchAttempts + 1,
                    UpdatedAt = now,
                }
                // A quick capture can report back before this write: keep its outcome, record the dispatch all the same.
                : m.Status.IsTerminal() && m.DispatchedAt is null ? m with { DispatchedAt = now, DispatchAttempts = m.DispatchAttempts + 1 }
                : null,
                cancellationToken);
            logger.LogInformation("Capture {CaptureId}: collector accepted", captureId);
            if (recorded is { Status: CaptureStatus.Running } running)
            {
                await chat.NotifyStartAsync(running, cancellationToken);
            }

            return;
        }

        logger.LogWarning("Capture {CaptureId} failed at dispatch: {Reason}", captureId, answer.Message);
        var failed = await manifests.UpdateAsync(captureId, m => m.Status != CaptureStatus.Pending ? null : m with
        {
            Status = CaptureStatus.Failed,
            Error = answer.Message,
            DispatchAttempts = m.DispatchAttempts + 1,
            UpdatedAt = now,
            CompletedAt = now,
        }, cancellationToken);
        if (failed is not null)
        {
            await limits.ReleaseInFlightAsync(captureId, cancellationToken);
            await chat.NotifyAsync(failed, cancellationToken);
        }
    }
}
