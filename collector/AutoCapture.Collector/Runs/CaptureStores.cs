using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// Which store a capture's uploads go to. With blob storage and a request that carries an upload grant: that
/// grant and nothing else (create-only, for this capture's lifetime), so a collector needs no standing credential
/// that could touch manifests or limit state. Otherwise the collector's own configured store (the folder store
/// always; a blob credential of its own when the webhook app sends no grants).
/// </summary>
public sealed class CaptureStores(IOptions<StoreOptions> options)
{
    private readonly Lazy<IArtifactStore> _own = new(() => ArtifactStores.Create(options.Value));

    public IArtifactStore For(CaptureRequest request) =>
        options.Value.IsBlob && request.UploadGrant is { } grant ? BlobStore.ForUploadGrant(grant, options.Value) : _own.Value;

    /// <summary>Why this collector cannot store what <paramref name="request"/> asks for, or null.</summary>
    public string? Problem(CaptureRequest request) =>
        request.UploadGrant is { IsAbsoluteUri: false } or { Scheme: not ("https" or "http") } ? "uploadGrant must be an absolute http(s) URL"
        : options.Value.IsBlob && !options.Value.HasBlobCredential && request.UploadGrant is null
            ? "uploadGrant is required: this collector holds no store credential of its own (AutoCapture:Store has none)"
            : null;
}
