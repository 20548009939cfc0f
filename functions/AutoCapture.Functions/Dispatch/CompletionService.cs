using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Dispatch;

/// <summary>Takes a collector's signed result and finishes the capture with it.</summary>
public sealed class CompletionService(ManifestStore manifests, CaptureFinisher finisher)
{
    public enum Outcome
    {
        Completed,
        AlreadyFinished,
        UnknownCapture,
    }

    public async Task<Outcome> CompleteAsync(CaptureResult result, CancellationToken cancellationToken)
    {
        if (await manifests.ReadAsync(result.CaptureId, cancellationToken) is null)
        {
            return Outcome.UnknownCapture;
        }

        var transition = await finisher.CompleteAsync(result, cancellationToken);
        return transition.Moved ? Outcome.Completed : Outcome.AlreadyFinished;
    }
}
