using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Dispatch;

/// <summary>
/// Calls the collector for each accepted capture and records on the manifest whether it took the job. A busy
/// collector is asked again with backoff (<see cref="BusyCollectorRetry"/>) apart from the dispatch slots, so a
/// capture waiting for one never holds up the others.
/// </summary>
public sealed class DispatchWorker(
    DispatchQueue queue,
    CollectorClient collectors,
    BusyCollectorRetry busyRetry,
    ManifestStore manifests,
    PublicUrls urls,
    CaptureFinisher finisher,
    ChatDispatcher chat,
    IArtifactStore store,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
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

        var answer = await AskAsync(manifest, cancellationToken);
        if (answer.Verdict == CollectorVerdict.Busy)
        {
            _ = Task.Run(() => RetryWhileBusyAsync(manifest, answer.Message, lifetime.ApplicationStopping), CancellationToken.None);
            return;
        }

        await SettleAsync(captureId, answer, busyAnswers: 0, cancellationToken);
    }

    private Task<CollectorAnswer> AskAsync(CaptureManifest manifest, CancellationToken cancellationToken)
    {
        // The grant lasts as long as this app waits for the capture; after that its uploads are of no use.
        var grant = (store as IUploadGrants)?.TryCreateUploadGrant(CaptureKinds.ExpectedDuration(manifest.Captures) + options.Value.Housekeeping.CaptureGrace);
        var request = new CaptureRequest(manifest.Id, manifest.Target.Process, manifest.Captures, urls.CompletionUrl(manifest.Id), urls.ProgressUrl(manifest.Id), grant);
        logger.LogInformation("Capture {CaptureId}: asking collector {Collector} for {Kinds} of {Process}", manifest.Id, manifest.Target.Collector, string.Join(", ", manifest.Captures.Select(c => c.Kind)), manifest.Target.Process);
        return collectors.RequestCaptureAsync(manifest.Target.Collector, request, cancellationToken);
    }

    /// <summary>Records the collector's answer other than busy: taken, maybe taken (no answer), or failed with its reason.</summary>
    private async Task SettleAsync(string captureId, CollectorAnswer answer, int busyAnswers, CancellationToken cancellationToken)
    {
        if (answer.Verdict == CollectorVerdict.Accepted)
        {
            var now = clock.GetUtcNow();
            var tookIt = $"the collector took it at {now:HH:mm:ss}Z after {busyAnswers} busy answers";
            var moved = await manifests.MoveAsync(captureId, CaptureStatus.Dispatched, m => m with
            {
                DispatchedAt = now,
                DispatchAttempts = m.DispatchAttempts + busyAnswers + 1,
                Notes = busyAnswers == 0 ? m.Notes : [.. m.Notes, tookIt],
                UpdatedAt = now,
            }, cancellationToken);
            if (moved.Moved)
            {
                logger.LogInformation("Capture {CaptureId}: collector accepted", captureId);
            }
            else
            {
                logger.LogInformation("Capture {CaptureId}: collector accepted; the capture was already {Status}", captureId, moved.From);
            }
            if (moved.Moved)
            {
                await chat.NotifyStartAsync(moved.Manifest!, cancellationToken);
            }
            else if (busyAnswers > 0)
            {
                // The collector's own report of the capture running overtook this answer; the waiting is still worth saying.
                await manifests.UpdateAsync(captureId, m => m with { Notes = [.. m.Notes, tookIt] }, cancellationToken);
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
        await finisher.FailAsync(captureId, answer.Message, cancellationToken, addedDispatchAttempts: busyAnswers + 1);
    }

    private async Task RetryWhileBusyAsync(CaptureManifest manifest, string busy, CancellationToken cancellationToken)
    {
        try
        {
            var deadline = busyRetry.Deadline(manifest);
            var since = clock.GetUtcNow();
            await TouchAsync(manifest.Id, m => m with { Notes = [.. m.Notes, $"the collector was busy at {since:HH:mm:ss}Z ({busy}); asked again until {deadline:yyyy-MM-dd HH:mm:ss}Z"] }, cancellationToken);
            for (var busyAnswers = 1; ; busyAnswers++)
            {
                if (busyRetry.Delay(busyAnswers, clock.GetUtcNow(), deadline) is not { } delay)
                {
                    var reason = $"{busy}; still busy after {busyAnswers} requests from {since:HH:mm:ss}Z to {deadline:HH:mm:ss}Z";
                    logger.LogWarning("Capture {CaptureId} ({Rule}) failed at dispatch: {Reason}", manifest.Id, manifest.Rule, reason);
                    await finisher.FailAsync(manifest.Id, reason, cancellationToken, addedDispatchAttempts: busyAnswers);
                    return;
                }

                logger.LogWarning("Capture {CaptureId}: {Reason}; asking again in {Delay} (busy answer {Count}, until {Deadline:u})", manifest.Id, busy, delay, busyAnswers, deadline);
                await Task.Delay(delay, clock, cancellationToken);
                // Housekeeping, a completion or another instance may have moved it meanwhile.
                if (await manifests.ReadAsync(manifest.Id, cancellationToken) is not { Status: CaptureStatus.Pending } current)
                {
                    return;
                }

                var answer = await AskAsync(current, cancellationToken);
                if (answer.Verdict != CollectorVerdict.Busy)
                {
                    await SettleAsync(manifest.Id, answer, busyAnswers, cancellationToken);
                    return;
                }

                busy = answer.Message;
                await TouchAsync(manifest.Id, m => m, cancellationToken);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Left pending: housekeeping dispatches it again.
            logger.LogError(e, "Capture {CaptureId}: asking a busy collector again failed unexpectedly", manifest.Id);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: housekeeping on another instance, or this one's next start, dispatches it again.
        }
    }

    /// <summary>Marks a still-pending capture as recently handled, so housekeeping does not dispatch it meanwhile.</summary>
    private Task<CaptureManifest?> TouchAsync(string captureId, Func<CaptureManifest, CaptureManifest> apply, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return manifests.UpdateAsync(captureId, m => m.Status == CaptureStatus.Pending ? apply(m) with { UpdatedAt = now } : null, cancellationToken);
    }
}
