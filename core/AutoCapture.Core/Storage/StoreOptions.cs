using AutoCapture.Core.Security;

namespace AutoCapture.Core.Storage;

/// <summary>
/// Which store to use and how to reach it: section <c>AutoCapture:Store</c>, shared by the webhook app and the
/// collector. <c>folder</c> needs only <see cref="Path"/>; <c>azureblob</c> needs one way in: a connection string
/// (account key or SAS), a service URI with a SAS token, or an account URL with Microsoft Entra ID.
/// </summary>
public sealed class StoreOptions
{
    public const string Section = "AutoCapture:Store";
    public const string Folder = "folder";
    public const string AzureBlob = "azureblob";
    public const string DefaultCredential = "default";
    public const string ManagedIdentityCredential = "managedidentity";

    public string Kind { get; set; } = Folder;

    /// <summary>For the folder store: where captures and state are kept.</summary>
    public string Path { get; set; } = ".autocapture/store";

    /// <summary>For blob storage: the container everything lives in.</summary>
    public string Container { get; set; } = "autocapture";

    /// <summary>An Azure Storage connection string (AccountKey or SharedAccessSignature; UseDevelopmentStorage=true for Azurite). Secret.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob endpoint (<c>https://account.blob.core.windows.net</c>) used with <see cref="Sas"/>.</summary>
    public string? ServiceUri { get; set; }

    /// <summary>A SAS token for <see cref="ServiceUri"/> (account or container SAS). Secret.</summary>
    public string? Sas { get; set; }

    /// <summary>The blob endpoint used with a Microsoft Entra ID token (managed identity or DefaultAzureCredential).</summary>
    public string? AccountUrl { get; set; }

    /// <summary>With <see cref="AccountUrl"/>: <c>default</c> (DefaultAzureCredential) or <c>managedidentity</c>.</summary>
    public string Credential { get; set; } = DefaultCredential;

    /// <summary>A user-assigned managed identity's client id; empty for the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Artifacts up to this size go up in one request; larger ones in blocks.</summary>
    public int SingleUploadMaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Block size for large uploads. Memory per upload is about BlockBytes × (UploadParallelism + 1).</summary>
    public int BlockBytes { get; set; } = 8 * 1024 * 1024;

    public int UploadParallelism { get; set; } = 4;

    /// <summary>Per attempt; requests that fail with a transient error are retried up to MaxAttempts.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public int MaxAttempts { get; set; } = 5;

    public bool IsBlob => string.Equals(Kind, AzureBlob, StringComparison.OrdinalIgnoreCase);

    /// <summary>For logs: where the store is and how it authenticates, never a secret.</summary>
    public string Describe() => IsBlob
        ? $"{AzureBlob} container {Container} via " + (ConnectionString is { Length: > 0 } ? $"connection string {Secrets.Mask(ConnectionString)}"
            : Sas is { Length: > 0 } ? $"{ServiceUri} with SAS {Secrets.Mask(Sas)}"
            : $"{AccountUrl} with Entra ID ({Credential}{(string.IsNullOrEmpty(ManagedIdentityClientId) ? "" : $" client {ManagedIdentityClientId}")})")
        : $"{Folder} {Path}";

    /// <summary>What is wrong with these settings, one message per problem naming the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IsBlob)
        {
            if (!string.Equals(Kind, Folder, StringComparison.OrdinalIgnoreCase))
            {
                yield return $"AutoCapture:Store:Kind '{Kind}' is not a store (use '{Folder}' or '{AzureBlob}').";
            }
            else if (string.IsNullOrWhiteSpace(Path))
            {
                yield return "AutoCapture:Store:Path is required for the folder store.";
            }

            yield break;
        }

        var ways = (ConnectionString is { Length: > 0 } ? 1 : 0) + (Sas is { Length: > 0 } ? 1 : 0) + (AccountUrl is { Length: > 0 } ? 1 : 0);
        if (ways != 1)
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

        if (ConnectionString is { Length: > 0 } && BlobConnectionProblem() is { } problem)
        {
            yield return $"AutoCapture:Store:ConnectionString {problem}";
        }

        if (Credential is not (DefaultCredential or ManagedIdentityCredential))
        {
            yield return $"AutoCapture:Store:Credential '{Credential}' is not supported (use '{DefaultCredential}' or '{ManagedIdentityCredential}').";
        }

        if (!IsContainerName(Container))
        {
            yield return $"AutoCapture:Store:Container '{Container}' is not a valid container name (3–63 of lower-case letters, digits and single '-').";
        }

        if (SingleUploadMaxBytes is < 1 or > 256 * 1024 * 1024 || BlockBytes is < 64 * 1024 or > 256 * 1024 * 1024)
        {
            yield return "AutoCapture:Store:SingleUploadMaxBytes must be 1 byte to 256 MiB and BlockBytes 64 KiB to 256 MiB.";
        }

        if (SingleUploadMaxBytes > BlockBytes)
        {
            yield return "AutoCapture:Store:SingleUploadMaxBytes must not exceed BlockBytes.";
        }

        if (UploadParallelism is < 1 or > 64 || MaxAttempts is < 1 or > 10 || RequestTimeout <= TimeSpan.Zero)
        {
            yield return "AutoCapture:Store:UploadParallelism must be 1–64, MaxAttempts 1–10 and RequestTimeout positive.";
        }
    }

    private string? BlobConnectionProblem()
    {
        try
        {
            Blob.BlobConnection.Parse(ConnectionString!);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static bool IsContainerName(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);
}
