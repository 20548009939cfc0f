using AutoCapture.Core.Captures;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Hosting;

namespace AutoCapture.Functions.Dispatch;

/// <summary>
/// The one way a capture ends: the manifest moves to complete or failed (only from a live state, with
/// compare-and-swap), it is compared with its baseline (<see cref="BaselineComparisons"/>), chat hears of it, and then
/// — only then — it is settled: its in-flight slot is freed and it leaves the open captures. Completion callbacks, dispatch failures and housekeeping all finish captures here, so
/// whichever comes first wins and the rest change nothing.
/// </summary>
public sealed class CaptureFinisher(
    ManifestStore manifests,
    OpenCaptures open,
    ArtifactVerifier verifier,
    CaptureLimits limits,
    BaselineComparisons comparisons,
    ChatDispatcher chat,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<CaptureFinisher> logger)
{
    /// <summary>Finishes from the collector's result; only artifacts found intact in the store are listed.</summary>
    public async Task<Transition> CompleteAsync(CaptureResult result, CancellationToken cancellationToken)
    {
        var (verified, problems) = await verifier.VerifyAsync(result.CaptureId, result.Artifacts, cancellationToken);
        var lostEverything = result.Artifacts.Count > 0 && verified.Count == 0;
        var succeeded = result.Succeeded && !lostEverything;
        var error = result.Error ?? (lostEverything ? "no artifact reached the store intact: " + string.Join("; ", problems) : null);
        var now = clock.GetUtcNow();
        return await FinishAsync(result.CaptureId, succeeded ? CaptureStatus.Complete : CaptureStatus.Failed, m => m with
        {
            Error = error,
            Process = result.Process,
            Kinds = result.Kinds,
            Artifacts = verified,
            Summary = result.Summary,
            Notes = [.. m.Notes, .. problems],
            UpdatedAt = now,
            CompletedAt = result.CompletedAt,
        }, cancellationToken);
    }

    public Task<Transition> FailAsync(string captureId, string reason, CancellationToken cancellationToken, int addedDispatchAttempts = 0)
    {
        var now = clock.GetUtcNow();
        return FinishAsync(captureId, CaptureStatus.Failed, m => m with
        {
            Error = reason,
            DispatchAttempts = m.DispatchAttempts + addedDispatchAttempts,
            UpdatedAt = now,
            CompletedAt = now,
        }, cancellationToken);
    }

    private async Task<Transition> FinishAsync(string captureId, CaptureStatus to, Func<CaptureManifest, CaptureManifest> apply, CancellationToken cancellationToken)
    {
        // The message is owed from this moment and this instance sends it; housekeeping leaves it alone meanwhile.
        var notifyingSince = clock.GetUtcNow();
        var transition = await manifests.MoveAsync(captureId, to, m => apply(m) with { NotifyingSince = notifyingSince }, cancellationToken);
        switch (transition.Outcome)
        {
            case TransitionOutcome.Moved:
                var finished = transition.Manifest!;
                WebhookMetrics.Finished(finished);
                if (to == CaptureStatus.Complete)
                {
                    logger.LogInformation("Capture {CaptureId} complete: {Artifacts} artifacts, {Bytes} bytes", captureId, finished.Artifacts.Count, finished.Artifacts.Sum(a => a.Size));
                }
                else
                {
                    logger.LogWarning("Capture {CaptureId} failed: {Reason}", captureId, finished.Error);
                }

                // Owed now, whatever becomes of the caller: a collector that gives up waiting for its completion
                // call (a comparison or chat may take a while, honouring Retry-After) must not cancel the message.
                // Only this move sends it, and a repeated completion finds the capture finished.
                var due = await comparisons.AfterFinishAsync(finished, lifetime.ApplicationStopping);
                foreach (var manifest in due)
                {
                    await chat.NotifyAsync(manifest, lifetime.ApplicationStopping);
                }

                foreach (var id in due.Select(m => m.Id).Append(captureId).Distinct())
                {
                    await SettleIfDoneAsync(id, lifetime.ApplicationStopping);
                }

                break;
            case TransitionOutcome.Illegal:
                logger.LogInformation("Capture {CaptureId}: not moved to {To}: it is already {From}", captureId, to.ToString().ToLowerInvariant(), transition.From?.ToString().ToLowerInvariant());
                break;
        }

        return transition;
    }

    /// <summary>
    /// Settles the capture if it is terminal and chat is owed nothing more (sent, quiet, or given up): frees its
    /// in-flight slot and takes it out of the open captures. A capture still owed a message stays open for housekeeping.
    /// </summary>
    public async Task<bool> SettleIfDoneAsync(string captureId, CancellationToken cancellationToken)
    {
        if (await manifests.ReadAsync(captureId, cancellationToken) is { } manifest && !chat.IsSettled(manifest))
        {
            return false;
        }

        await limits.ReleaseInFlightAsync(captureId, cancellationToken);
        await open.SettleAsync(captureId, cancellationToken);
        return true;
    }
}
