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
    public Task<CaptureManifest?> UpdateAsync(string captureId, Func<CaptureManifest, CaptureManifest?> transition, CancellationToken cancellationToken) =>
        store.UpdateAsync<CaptureManifest>(
            CaptureIds.ManifestKey(captureId),
            current => current is null ? null : transition(current),
            cancellationToken);
}
