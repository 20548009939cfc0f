using AutoCapture.Core.Storage.Blob;
using Azure.Core;

namespace AutoCapture.Core.Storage;

/// <summary>Builds the configured store; the webhook app and the collector both start theirs here.</summary>
public static class ArtifactStores
{
    /// <param name="handler">For tests: how blob requests reach the service (e.g. trusting a test certificate).</param>
    /// <param name="clock">Signs read links and upload grants; the system clock unless a test brings its own.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists each problem.</exception>
    public static IArtifactStore Create(StoreOptions options, HttpMessageHandler? handler = null, TokenCredential? credential = null, TimeProvider? clock = null)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        if (!options.IsBlob)
        {
            return new FolderStore(options.Path);
        }

        var (service, kind) = BlobClients.Create(options, handler, credential);
        return new BlobStore(service, kind, options, clock);
    }
}
