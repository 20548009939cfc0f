using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using AutoCapture.Functions.Options;

namespace AutoCapture.Functions.Rules;

/// <summary>The rules file kept in a blob (<c>AutoCapture:Rules:BlobUri</c>): read with its ETag, which tells a new version.</summary>
public sealed class RulesBlob
{
    private readonly BlobClient _blob;

    public RulesBlob(RulesSourceOptions options)
    {
        // Azurite accepts service versions up to 2025-11-05; Azure Storage accepts it too, so one version serves both.
        var clientOptions = new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_11_05);
        var uri = new Uri(options.BlobUri!);
        if (!string.IsNullOrEmpty(options.ConnectionString))
        {
            var parts = new BlobUriBuilder(uri);
            _blob = new BlobServiceClient(options.ConnectionString, clientOptions).GetBlobContainerClient(parts.BlobContainerName).GetBlobClient(parts.BlobName);
        }
        else
        {
            TokenCredential credential = options.Credential == BlobCredential.ManagedIdentity
                ? new ManagedIdentityCredential(string.IsNullOrEmpty(options.ManagedIdentityClientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId))
                : new DefaultAzureCredential();
            _blob = new BlobClient(uri, credential, clientOptions);
        }

        // Problems are reported as "<blob URL>:line:column", like a file's.
        Name = new UriBuilder(uri) { Query = string.Empty }.Uri.ToString();
    }

    public string Name { get; }

    /// <summary>The current version's ETag, without downloading it.</summary>
    public async Task<ETag> ETagAsync(CancellationToken cancellationToken) =>
        (await _blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ETag;

    public async Task<(string Text, ETag ETag)> ReadAsync(CancellationToken cancellationToken)
    {
        var content = (await _blob.DownloadContentAsync(cancellationToken)).Value;
        return (content.Content.ToString(), content.Details.ETag);
    }

    /// <summary>At start, like the rules file: unreadable or invalid stops the app with the reason or the lines.</summary>
    /// <exception cref="RulesFileException">The blob cannot be read or its rules are invalid.</exception>
    public (RuleSet Rules, ETag ETag) Load(IReadOnlyCollection<string> chatChannels)
    {
        try
        {
            var content = _blob.DownloadContent().Value;
            return (RulesLoader.Parse(Name, content.Content.ToString(), chatChannels), content.Details.ETag);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            throw new RulesFileException(Name, [new RuleProblem(0, 0, $"cannot read the rules blob: {Reason(e)}")]);
        }
    }

    /// <summary>Storage answered with an error, sign-in failed, or retries ran out on the network.</summary>
    public static bool IsUnreadable(Exception e) => e is RequestFailedException or AuthenticationFailedException or AggregateException;

    /// <summary>The storage error code or the sign-in failure, never a request's URL with its headers.</summary>
    public static string Reason(Exception e) => e switch
    {
        RequestFailedException { ErrorCode: { } code } failed => $"{failed.Status} {code}",
        RequestFailedException failed => $"status {failed.Status}",
        _ => e.GetBaseException().Message.Split('\n')[0],
    };
}
