using AutoCapture.Core.Captures;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Chat;

namespace AutoCapture.Functions.Dispatch;

/// <summary>Calls the collector for each accepted capture and records on the manifest whether it took the job.</summary>
public sealed class DispatchWorker(
    DispatchQueue queue,
    CollectorClient collectors,
    ManifestStore manifests,
    PublicUrls urls,
    CaptureFinisher finisher,
    ChatDispatcher chat,
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

        var request = new CaptureRequest(captureId, manifest.Target.Process, manifest.Captures, urls.CompletionUrl(captureId), urls.ProgressUrl(captureId));
        logger.LogInformation("Capture {CaptureId}: asking collector {Collector} for {Kinds} of {Process}", captureId, manifest.Target.Collector, string.Join(", ", manifest.Captures.Select(c => c.Kind)), manifest.Target.Process);
        var answer = await collectors.RequestCaptureAsync(manifest.Target.Collector, request, cancellationToken);
        if (answer.Verdict == CollectorVerdict.Accepted)
        {
            var now = clock.GetUtcNow();
            var moved = await manifests.MoveAsync(captureId, CaptureStatus.Dispatched, m => m with
            {
                DispatchedAt = now,
                DispatchAttempts = m.DispatchAttempts + 1,
                UpdatedAt = now,
            }, cancellationToken);
            logger.LogInformation("Capture {CaptureId}: collector accepted{Note}", captureId, moved.Moved ? string.Empty : $" (already {moved.From?.ToString().ToLowerInvariant()})");
            if (moved.Moved)
            {
                await chat.NotifyStartAsync(moved.Manifest!, cancellationToken);
            }

            return;
        }

        if (answer.Verdict == CollectorVerdict.NoAnswer)
        {
            // The collector may be running it: failing it now would contradict a capture that then completes. Its
            // progress or result moves the manifest on; if nothing comes, housekeeping asks again, and the
            // collector never runs one capture id twice.
            logger.LogWarning("Capture {CaptureId}: {Reason}; left pending for the collector's report or housekeeping", captureId, answer.Message);
            return;
        }

        logger.LogWarning("Capture {CaptureId} failed at dispatch: {Reason}", captureId, answer.Message);
        await finisher.FailAsync(captureId, answer.Message, cancellationToken, addedDispatchAttempts: 1);
    }
}
