using AutoCapture.Core.Security;

namespace AutoCapture.Core.Storage;

/// <summary>Where everything is kept: a local folder, or Azure Blob Storage.</summary>
public enum StoreBackend
{
    Folder,
    AzureBlob,
}

/// <summary>How the blob store signs in with Microsoft Entra ID when it is given an account URL.</summary>
public enum StoreCredential
{
    /// <summary>DefaultAzureCredential: environment, workload identity, managed identity, developer tools.</summary>
    Default,
    ManagedIdentity,
}

/// <summary>
/// Which store to use and how to reach it: section <c>AutoCapture:Store</c>, shared by the webhook app and the
/// collector. <c>folder</c> needs only <see cref="Path"/>; <c>azureblob</c> needs one way in: a connection string
/// (account key or SAS), a service URI with a SAS token, or an account URL with Microsoft Entra ID.
/// </summary>
public sealed class StoreOptions
{
    public const string Section = "AutoCapture:Store";

    /// <summary>The service's limit on one Put Blob (service version 2019-12-12 and later).</summary>
    public const long MaxSingleUploadBytes = 5000L * 1024 * 1024;

    public StoreBackend Kind { get; set; } = StoreBackend.Folder;

    /// <summary>For the folder store: where captures and state are kept.</summary>
    public string Path { get; set; } = ".autocapture/store";

    /// <summary>For blob storage: the state container (manifests, capture index, limit state).</summary>
    public string Container { get; set; } = "autocapture";

    /// <summary>
    /// For blob storage: the container of what collectors write (artifacts and results), kept apart so that a
    /// collector's credential never reaches the state. Empty means <c>{Container}-artifacts</c>.
    /// </summary>
    public string? ArtifactsContainer { get; set; }

    public string ArtifactsContainerName => ArtifactsContainer is { Length: > 0 } name ? name : $"{Container}-artifacts";

    /// <summary>An Azure Storage connection string (AccountKey or SharedAccessSignature; UseDevelopmentStorage=true for Azurite). Secret.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob endpoint (<c>https://account.blob.core.windows.net</c>) used with <see cref="Sas"/>.</summary>
    public string? ServiceUri { get; set; }

    /// <summary>A SAS token for <see cref="ServiceUri"/> (account SAS, or one that covers both containers). Secret.</summary>
    public string? Sas { get; set; }

    /// <summary>The blob endpoint used with a Microsoft Entra ID token (managed identity or DefaultAzureCredential).</summary>
    public string? AccountUrl { get; set; }

    /// <summary>With <see cref="AccountUrl"/>: <c>default</c> (DefaultAzureCredential) or <c>managedidentity</c>.</summary>
    public StoreCredential Credential { get; set; } = StoreCredential.Default;

    /// <summary>A user-assigned managed identity's client id; empty for the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>
    /// Content of known length (a finished file) up to this size goes up in one Put Blob; larger content, and
    /// streams of unknown length beyond one block, in blocks. The service allows up to 5000 MiB in one request.
    /// </summary>
    public long SingleUploadMaxBytes { get; set; } = MaxSingleUploadBytes;

    /// <summary>Block size for block uploads. Memory per block upload is about BlockBytes × (UploadParallelism + 1).</summary>
    public int BlockBytes { get; set; } = 8 * 1024 * 1024;

    public int UploadParallelism { get; set; } = 4;

    /// <summary>Per attempt (the SDK's network time-out); requests that fail with a transient error are retried up to MaxAttempts.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public int MaxAttempts { get; set; } = 5;

    public bool IsBlob => Kind == StoreBackend.AzureBlob;

    /// <summary>Whether any way into blob storage is set; a collector may have none and write only with upload grants.</summary>
    public bool HasBlobCredential => ConnectionString is { Length: > 0 } || Sas is { Length: > 0 } || AccountUrl is { Length: > 0 };

    /// <summary>For logs: where the store is and how it authenticates, never a secret.</summary>
    public string Describe() => IsBlob
        ? $"azureblob containers {Container} and {ArtifactsContainerName} via " + (ConnectionString is { Length: > 0 } ? $"connection string {Secrets.Mask(ConnectionString)}"
            : Sas is { Length: > 0 } ? $"{ServiceUri} with SAS {Secrets.Mask(Sas)}"
            : AccountUrl is { Length: > 0 } ? $"{AccountUrl} with Entra ID ({Credential}{(string.IsNullOrEmpty(ManagedIdentityClientId) ? "" : $" client {ManagedIdentityClientId}")})"
            : "upload grants only (no store credential)")
        : $"folder {Path}";

    /// <summary>What is wrong with these settings, one message per problem naming the setting.</summary>
    /// <param name="credentialOptional">A collector may hold no credential and write only with the grants its requests carry.</param>
    public IEnumerable<string> Validate(bool credentialOptional = false)
    {
        if (!Enum.IsDefined(Kind))
        {
            yield return $"AutoCapture:Store:Kind '{Kind}' is not a store (use 'folder' or 'azureblob').";
            yield break;
        }

        if (!IsBlob)
        {
            if (string.IsNullOrWhiteSpace(Path))
            {
                yield return "AutoCapture:Store:Path is required for the folder store.";
            }

            yield break;
        }

        var ways = (ConnectionString is { Length: > 0 } ? 1 : 0) + (Sas is { Length: > 0 } ? 1 : 0) + (AccountUrl is { Length: > 0 } ? 1 : 0);
        if (ways > 1 || (ways == 0 && !credentialOptional))
        {
            yield return "AutoCapture:Store needs exactly one of ConnectionString, ServiceUri with Sas, or AccountUrl (Entra ID) for azureblob.";
        }

        if (Sas is { Length: > 0 } && !IsHttpUrl(ServiceUri))
        {
            yield return "AutoCapture:Store:ServiceUri must be an absolute http(s) URL when Sas is set.";
        }

        if (AccountUrl is { Length: > 0 } && !IsHttpUrl(AccountUrl))
        {
            yield return "AutoCapture:Store:AccountUrl must be an absolute http(s) URL.";
        }

        if (ConnectionString is { Length: > 0 } && !Blob.BlobClients.IsConnectionString(ConnectionString))
        {
            yield return "AutoCapture:Store:ConnectionString is not an Azure Storage connection string (expected AccountName=…;AccountKey=… or BlobEndpoint=…;SharedAccessSignature=…, or UseDevelopmentStorage=true).";
        }

        if (!Enum.IsDefined(Credential))
        {
            yield return $"AutoCapture:Store:Credential '{Credential}' is not supported (use 'default' or 'managedidentity').";
        }

        if (!IsContainerName(Container))
        {
            yield return $"AutoCapture:Store:Container '{Container}' is not a valid container name (3–63 of lower-case letters, digits and single '-').";
        }

        if (!IsContainerName(ArtifactsContainerName))
        {
            yield return $"AutoCapture:Store:ArtifactsContainer '{ArtifactsContainerName}' is not a valid container name (3–63 of lower-case letters, digits and single '-'; by default it is the Container's name with '-artifacts').";
        }
        else if (ArtifactsContainerName == Container)
        {
            yield return "AutoCapture:Store:ArtifactsContainer must differ from Container: collectors' credentials reach only the artifacts container.";
        }

        if (SingleUploadMaxBytes is < 1 or > MaxSingleUploadBytes || BlockBytes is < 64 * 1024 or > 256 * 1024 * 1024)
        {
            yield return "AutoCapture:Store:SingleUploadMaxBytes must be 1 byte to 5000 MiB and BlockBytes 64 KiB to 256 MiB.";
        }

        if (UploadParallelism is < 1 or > 64 || MaxAttempts is < 1 or > 10 || RequestTimeout <= TimeSpan.Zero)
        {
            yield return "AutoCapture:Store:UploadParallelism must be 1–64, MaxAttempts 1–10 and RequestTimeout positive.";
        }
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static bool IsContainerName(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
}
