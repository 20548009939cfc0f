using AutoCapture.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCapture.Core.Captures;

/// <summary>
/// Reads manifests and moves them between states with compare-and-swap, never overwriting a newer decision.
/// Every write is followed by re-indexing (<see cref="CaptureIndex"/>), so searches find the manifest as it is.
/// </summary>
public sealed class ManifestStore(IArtifactStore store, ILogger<ManifestStore>? logger = null)
{
    private readonly CaptureIndex _index = new(store);
    private readonly ILogger _logger = logger ?? NullLogger<ManifestStore>.Instance;

    public IArtifactStore Store => store;

    public async Task<CaptureManifest?> ReadAsync(string captureId, CancellationToken cancellationToken) =>
        (await store.ReadAsync<CaptureManifest>(CaptureIds.ManifestKey(captureId), cancellationToken))?.Value;

    /// <summary>Writes a manifest under <paramref name="condition"/> (create-if-absent or compare-and-swap).</summary>
    public async Task<WriteResult> WriteAsync(CaptureManifest manifest, WriteCondition condition, CancellationToken cancellationToken)
    {
        var written = await store.WriteJsonAsync(CaptureIds.ManifestKey(manifest.Id), manifest, condition, cancellationToken);
        if (written.Written)
        {
            await IndexAsync(manifest.Id, cancellationToken);
        }

        return written;
    }

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

    /// <summary>
    /// Applies <paramref name="transition"/> to the stored manifest; it returns null to leave the manifest alone
    /// (e.g. it is already terminal). Returns the manifest as written, or null if nothing was written.
    /// </summary>
    public async Task<CaptureManifest?> UpdateAsync(string captureId, Func<CaptureManifest, CaptureManifest?> transition, CancellationToken cancellationToken)
    {
        var written = await store.UpdateAsync<CaptureManifest>(
            CaptureIds.ManifestKey(captureId),
            current => current is null ? null : transition(current),
            cancellationToken);
        if (written is not null)
        {
            await IndexAsync(captureId, cancellationToken);
        }

        return written;
    }

    /// <summary>Re-tags one manifest (housekeeping repairs what a crash between write and tagging left untagged).</summary>
    public async Task IndexAsync(string captureId, CancellationToken cancellationToken)
    {
        if (!_index.IsAvailable)
        {
            return;
        }

        try
        {
            await _index.IndexAsync(captureId, cancellationToken);
        }
        catch (StoreException e)
        {
            // The capture itself is recorded; only finding it by tags waits for housekeeping to index it again.
            _logger.LogWarning("Capture {CaptureId}: index tags not set: {Reason}", captureId, e.Message);
        }
    }
}
