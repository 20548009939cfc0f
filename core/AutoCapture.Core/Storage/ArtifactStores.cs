using AutoCapture.Core.Storage.Blob;
using Azure.Core;
using Azure.Identity;

namespace AutoCapture.Core.Storage;

/// <summary>Builds the configured store; the webhook app and the collector both start theirs here.</summary>
public static class ArtifactStores
{
    /// <param name="handler">For tests: how blob requests reach the service (e.g. trusting a test certificate).</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists each problem.</exception>
    public static IArtifactStore Create(StoreOptions options, HttpMessageHandler? handler = null, TokenCredential? credential = null)
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

        var connection = options.ConnectionString is { Length: > 0 } connectionString ? BlobConnection.Parse(connectionString)
            : options.Sas is { Length: > 0 } sas ? BlobConnection.WithSas(new Uri(options.ServiceUri!), sas)
            : BlobConnection.WithToken(new Uri(options.AccountUrl!), credential ?? EntraCredential(options));
        return new BlobStore(connection, options, handler);
    }

    private static TokenCredential EntraCredential(StoreOptions options)
    {
        var clientId = string.IsNullOrEmpty(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId;
        return options.Credential == StoreOptions.ManagedIdentityCredential
            ? new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }
}
