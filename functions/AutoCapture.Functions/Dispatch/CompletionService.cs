using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Functions.Dispatch;

/// <summary>Finishes a capture from the collector's result: the manifest becomes complete or failed, then chat hears of it.</summary>
public sealed class CompletionService(ManifestStore manifests, ChatDispatcher chat, CaptureLimits limits, TimeProvider clock, ILogger<CompletionService> logger)
{
    public enum Outcome
    {
        Completed,
        AlreadyFinished,
        UnknownCapture,
    }

    public async Task<Outcome> CompleteAsync(CaptureResult result, CancellationToken cancellationToken)
    {
        var existing = await manifests.ReadAsync(result.CaptureId, cancellationToken);
        if (existing is null)
        {
            return Outcome.UnknownCapture;
        }

        var now = clock.GetUtcNow();
        var finished = await manifests.UpdateAsync(result.CaptureId, m => m.Status.IsTerminal() ? null : m with
        {
            Status = result.Succeeded ? CaptureStatus.Complete : CaptureStatus.Failed,
            Error = result.Error,
            Process = result.Process,
            Kinds = result.Kinds,
            Artifacts = result.Artifacts,
            Summary = result.Summary,
            UpdatedAt = now,
            CompletedAt = result.CompletedAt,
        }, cancellationToken);
        if (finished is null)
        {
            return Outcome.AlreadyFinished;
        }

        await limits.ReleaseInFlightAsync(finished.Id, cancellationToken);

        if (finished.Status == CaptureStatus.Complete)
        {
            logger.LogInformation("Capture {CaptureId} complete: {Artifacts} artifacts, {Bytes} bytes", finished.Id, finished.Artifacts.Count, finished.Artifacts.Sum(a => a.Size));
        }
        else
        {
            logger.LogWarning("Capture {CaptureId} failed: {Reason}", finished.Id, finished.Error);
        }

        await chat.NotifyAsync(finished, cancellationToken);
        return Outcome.Completed;
    }
}
