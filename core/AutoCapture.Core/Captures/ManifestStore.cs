using AutoCapture.Core.Storage;

namespace AutoCapture.Core.Captures;

/// <summary>Reads manifests and moves them between states with compare-and-swap, never overwriting a newer decision.</summary>
public sealed class ManifestStore(IArtifactStore store)
{
    public IArtifactStore Store => store;

    public async Task<CaptureManifest?> ReadAsync(string captureId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<CaptureManifest>(CaptureIds.ManifestKey(captureId), cancellationToken))?.Value;

    /// <summary>
    /// Applies <paramref name="transition"/> to the stored manifest; it returns null to leave the manifest alone
    /// (e.g. it is already terminal). Returns the manifest as written, or null if nothing was written.
    /// </summary>
    /// <summary>
    /// Moves the capture to <paramref name="to"/> with compare-and-swap, if <see cref="CaptureStateMachine"/>
    /// allows it from the state it is in when written; <paramref name="apply"/> fills in what the move records.
    /// An illegal move writes nothing and says where the manifest was.
    /// </summary>
    public async Task<Transition> MoveAsync(string captureId, CaptureStatus to, Func<CaptureManifest, CaptureManifest> apply, CancellationToken cancellationToken)
    {
        CaptureStatus? from = null;
        var outcome = TransitionOutcome.Missing;
        var written = await UpdateAsync(captureId, current =>
        {
            from = current.Status;
            if (current.Status == to)
            {
                outcome = TransitionOutcome.AlreadyThere;
                return null;
            }

            if (!CaptureStateMachine.CanMove(current.Status, to))
            {
                outcome = TransitionOutcome.Illegal;
                return null;
            }

            outcome = TransitionOutcome.Moved;
            return apply(current) with { Status = to };
        }, cancellationToken);
        return new Transition(outcome, written, from);
    }

    public Task<CaptureManifest?> UpdateAsync(string captureId, Func<CaptureManifest, CaptureManifest?> transition, CancellationToken cancellationToken) =>
        store.UpdateAsync<CaptureManifest>(
            CaptureIds.ManifestKey(captureId),
            current => current is null ? null : transition(current),
            cancellationToken);
}
