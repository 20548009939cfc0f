using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>
/// The store on Azure Blob Storage through Azure.Storage.Blobs, over two containers: what collectors write
/// (artifacts and results, see <see cref="IsCollectorKey"/>) lives in the artifacts container, everything else
/// (manifests, capture index, limit state) in the state container, so a collector's credential can be scoped to
/// the former. Keys are blob names; callers see one store. Conditional writes map to <c>If-None-Match: *</c> and
/// <c>If-Match</c>, which the service applies atomically, so dedup and rate-limit decisions hold across any number
/// of instances. Both containers are created before the first write if the credentials allow it.
/// </summary>
public sealed class BlobStore : IArtifactStore, IRangedReads, IObjectMetadata, ITaggedStore, IReadLinks, IUploadGrants, IConditionalDelete
{
    /// <summary>Marks which writer stored a version, so a write whose answer was lost and retried can recognise itself.</summary>
    internal const string WriterMetadata = "autocapture_writer";

    /// <summary>Signed links and grants start a little early, for clocks that run behind the service's.</summary>
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMinutes(5);

    private static readonly UploadTransferValidationOptions BlockHashes = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };

    private readonly BlobServiceClient? _service;
    private readonly BlobContainerClient _state;
    private readonly BlobContainerClient _artifacts;
    private readonly BlobCredentialKind _credential;
    private readonly StoreOptions _options;
    private readonly TimeProvider _clock;
    private readonly int _listPageSize;
    private volatile bool _containersReady;
    private volatile UserDelegationKey? _delegationKey;

    public BlobStore(BlobServiceClient service, BlobCredentialKind credential, StoreOptions options, TimeProvider? clock = null, int listPageSize = 5000)
        : this(service.GetBlobContainerClient(options.Container), service.GetBlobContainerClient(options.ArtifactsContainerName), credential, options, clock, listPageSize)
    {
        _service = service;
    }

    private BlobStore(BlobContainerClient state, BlobContainerClient artifacts, BlobCredentialKind credential, StoreOptions options, TimeProvider? clock, int listPageSize)
    {
        _state = state;
        _artifacts = artifacts;
        _credential = credential;
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _listPageSize = listPageSize;
    }

    /// <summary>
    /// A store that writes with one capture's upload grant only (a create-only SAS for the artifacts container):
    /// what a collector holding no store credential of its own uses. Anything else it tries is refused by the service.
    /// </summary>
    public static BlobStore ForUploadGrant(Uri grant, StoreOptions options)
    {
        var clientOptions = BlobClients.ClientOptions(options);
        var artifacts = new BlobContainerClient(grant, clientOptions);
        var state = new BlobContainerClient(new BlobUriBuilder(grant) { BlobContainerName = options.Container }.ToUri(), clientOptions);
        return new BlobStore(state, artifacts, BlobCredentialKind.Sas, options, null, 5000);
    }

    public string Container => _options.Container;

    public string Description => $"Azure Blob containers {_state.Name} and {_artifacts.Name} at {_artifacts.Uri.GetLeftPart(UriPartial.Authority)} ({CredentialName})";

    private string CredentialName => _credential switch
    {
        BlobCredentialKind.AccountKey => "account key",
        BlobCredentialKind.Sas => "SAS",
        _ => "Entra ID token",
    };

    /// <summary>
    /// What collectors write: everything in a capture's folder but its manifest (artifacts, summary, result).
    /// The webhook app writes some of these too (diffs); the routing only has to be the same for every caller.
    /// </summary>
    internal static bool IsCollectorKey(string key) =>
        key.StartsWith("captures/", StringComparison.Ordinal) && !key.EndsWith("/manifest.json", StringComparison.Ordinal);

    private BlobClient BlobFor(string key)
    {
        StoreKeys.EnsureValid(key);
        return (IsCollectorKey(key) ? _artifacts : _state).GetBlobClient(key);
    }

    public Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken) => OpenAsync(key, 0, null, cancellationToken);

    public Task<StoreObject?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "a range length cannot be negative.");
        }

        return OpenAsync(key, offset, length, cancellationToken);
    }

    private async Task<StoreObject?> OpenAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        if (length == 0)
        {
            // HTTP cannot express an empty range.
            return await EmptyIfExistsAsync(blob, cancellationToken);
        }

        try
        {
            var download = await CallAsync("reading", key, () => blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken), cancellationToken);
            return new StoreObject(download.Value.Content, Quoted(download.Value.Details.ETag), download.Value.Details.ContentLength);
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 404 })
        {
            return null;
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 416 })
        {
            return await EmptyIfExistsAsync(blob, cancellationToken);
        }
    }

    private async Task<StoreObject?> EmptyIfExistsAsync(BlobClient blob, CancellationToken cancellationToken) =>
        await PropertiesAsync(blob, cancellationToken) is { } properties ? new StoreObject(Stream.Null, Quoted(properties.ETag), 0) : null;

    private async Task<BlobProperties?> PropertiesAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await CallAsync("reading properties of", blob.Name, () => blob.GetPropertiesAsync(cancellationToken: cancellationToken), cancellationToken)).Value;
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 404 })
        {
            return null;
        }
    }

    /// <summary>
    /// Content of known length up to <see cref="StoreOptions.SingleUploadMaxBytes"/> goes up in one Put Blob
    /// straight from the stream; anything else in blocks of <see cref="StoreOptions.BlockBytes"/> (each with a
    /// transactional MD5), <see cref="StoreOptions.UploadParallelism"/> at once, committed by one Put Block List.
    /// The write condition applies to the one request that makes the new version visible.
    /// </summary>
    public async Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        await EnsureContainersAsync(cancellationToken);
        long? known = content.CanSeek ? content.Length - content.Position : null;
        var oneShot = known is { } size && size <= _options.SingleUploadMaxBytes;
        var writer = Guid.NewGuid().ToString("N");
        var upload = new BlobUploadOptions
        {
            Conditions = condition.Kind switch
            {
                WriteConditionKind.IfAbsent => new BlobRequestConditions { IfNoneMatch = ETag.All },
                WriteConditionKind.IfMatch => new BlobRequestConditions { IfMatch = new ETag(condition.ETag!) },
                _ => null,
            },
            Metadata = new Dictionary<string, string> { [WriterMetadata] = writer },
            TransferOptions = new StorageTransferOptions
            {
                // The SDK goes up in one shot only below this size.
                InitialTransferSize = oneShot ? known!.Value + 1 : _options.BlockBytes,
                MaximumTransferSize = _options.BlockBytes,
                MaximumConcurrency = _options.UploadParallelism,
            },
            // One shot reads the stream once, straight onto the wire; hashing it first would read a file twice.
            TransferValidation = oneShot ? new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.None } : BlockHashes,
        };

        var attempts = BlobClients.AttemptPolicy.Track();
        try
        {
            var written = await CallAsync("writing", key, () => blob.UploadAsync(content, upload, cancellationToken), cancellationToken);
            return WriteResult.Success(Quoted(written.Value.ETag));
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException failed && ConditionFailed(failed, condition))
        {
            // A retried request can fail its condition because its own earlier attempt succeeded unseen.
            return attempts.Attempts > 1 && await PropertiesAsync(blob, cancellationToken) is { } properties
                && properties.Metadata.TryGetValue(WriterMetadata, out var stored) && stored == writer
                ? WriteResult.Success(Quoted(properties.ETag))
                : WriteResult.ConditionFailed;
        }
    }

    private static bool ConditionFailed(RequestFailedException e, WriteCondition condition) =>
        e.Status == 412
        || (condition.Kind == WriteConditionKind.IfAbsent && e.Status == 409 && e.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        || (condition.Kind == WriteConditionKind.IfMatch && e.Status == 404 && e.ErrorCode == BlobErrorCode.BlobNotFound);

    public async IAsyncEnumerable<StoreItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValidPrefix(prefix);
        // Limit state and the index never hold collector keys: one listing, not two.
        var mayHoldCollectorKeys = prefix.StartsWith("captures/", StringComparison.Ordinal) || "captures/".StartsWith(prefix, StringComparison.Ordinal);
        var stateItems = ListOneAsync(_state, prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var artifactItems = (mayHoldCollectorKeys ? ListOneAsync(_artifacts, prefix, cancellationToken) : AsyncEnumerable.Empty<StoreItem>()).GetAsyncEnumerator(cancellationToken);
        await using (stateItems)
        await using (artifactItems)
        {
            // Each container lists in key order; merging keeps the whole in key order.
            var hasState = await stateItems.MoveNextAsync();
            var hasArtifact = await artifactItems.MoveNextAsync();
            while (hasState || hasArtifact)
            {
                if (hasArtifact && (!hasState || string.CompareOrdinal(artifactItems.Current.Key, stateItems.Current.Key) < 0))
                {
                    yield return artifactItems.Current;
                    hasArtifact = await artifactItems.MoveNextAsync();
                }
                else
                {
                    yield return stateItems.Current;
                    hasState = await stateItems.MoveNextAsync();
                }
            }
        }
    }

    private async IAsyncEnumerable<StoreItem> ListOneAsync(BlobContainerClient container, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).AsPages(pageSizeHint: _listPageSize);
        await foreach (var page in PagesAsync(pages, "listing", $"'{prefix}'", cancellationToken))
        {
            foreach (var item in page.Values)
            {
                yield return new StoreItem(item.Name, item.Properties.ContentLength ?? 0, Quoted(item.Properties.ETag ?? default), item.Properties.LastModified ?? default);
            }
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        return (await CallAsync("deleting", key, () => blob.DeleteIfExistsAsync(cancellationToken: cancellationToken), cancellationToken)).Value;
    }

    public async Task<bool> DeleteIfMatchAsync(string key, string etag, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        try
        {
            await CallAsync("deleting", key, () => blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = new ETag(etag) }, cancellationToken: cancellationToken), cancellationToken);
            return true;
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 404 or 412 })
        {
            return false;
        }
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string key, CancellationToken cancellationToken) =>
        await PropertiesAsync(BlobFor(key), cancellationToken) is { } properties
            ? properties.Metadata.Where(m => m.Key != WriterMetadata).ToDictionary(m => m.Key.ToLowerInvariant(), m => m.Value, StringComparer.Ordinal)
            : null;

    public async Task<bool> SetMetadataAsync(string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        StoreAnnotations.EnsureValidMetadata(metadata);
        return await ExistedAsync("setting metadata of", key, () => blob.SetMetadataAsync(metadata.ToDictionary(), cancellationToken: cancellationToken), cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetTagsAsync(string key, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        try
        {
            return (await CallAsync("reading tags of", key, () => blob.GetTagsAsync(cancellationToken: cancellationToken), cancellationToken)).Value.Tags.AsReadOnly();
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 404 })
        {
            return null;
        }
    }

    public async Task<bool> SetTagsAsync(string key, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var blob = BlobFor(key);
        StoreAnnotations.EnsureValidTags(tags);
        return await ExistedAsync("setting tags of", key, () => blob.SetTagsAsync(tags.ToDictionary(), cancellationToken: cancellationToken), cancellationToken);
    }

    private async Task<bool> ExistedAsync<T>(string operation, string key, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync(operation, key, call, cancellationToken);
            return true;
        }
        catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 404 })
        {
            return false;
        }
    }

    public async IAsyncEnumerable<string> FindByTagsAsync(IReadOnlyDictionary<string, string> equals, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreAnnotations.EnsureValidQuery(equals);
        // Tag names are quoted with ", values with '; the tag alphabet contains neither.
        var where = string.Join(" AND ", equals.Select(t => $"\"{t.Key}\"='{t.Value}'"));
        foreach (var container in new[] { _state, _artifacts })
        {
            var pages = container.FindBlobsByTagsAsync(where, cancellationToken).AsPages(pageSizeHint: _listPageSize);
            await foreach (var page in PagesAsync(pages, "finding blobs by tags in", container.Name, cancellationToken))
            {
                foreach (var item in page.Values)
                {
                    yield return item.BlobName;
                }
            }
        }
    }

    /// <summary>A listing's pages; a container that does not exist (yet) lists as empty.</summary>
    private async IAsyncEnumerable<Page<T>> PagesAsync<T>(IAsyncEnumerable<Page<T>> pages, string operation, string target, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : notnull
    {
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await CallAsync(operation, target, async () => await enumerator.MoveNextAsync(), cancellationToken))
                {
                    break;
                }
            }
            catch (StoreException e) when (e.InnerException is RequestFailedException { ErrorCode: "ContainerNotFound" })
            {
                break;
            }

            yield return enumerator.Current;
        }
    }

    public bool CanCreateReadLinks => _credential is BlobCredentialKind.AccountKey or BlobCredentialKind.EntraId;

    public Uri? TryCreateReadLink(string key, TimeSpan lifetime, string? contentType, string? fileName)
    {
        var blob = BlobFor(key);
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, _clock.GetUtcNow() + lifetime)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = key,
            Resource = "b",
            ContentType = contentType,
            ContentDisposition = fileName is null ? null : new ContentDispositionHeaderValue("attachment") { FileName = $"\"{fileName}\"" }.ToString(),
        };
        return Sign(blob.Uri, sas, blob.CanGenerateSasUri ? blob.GenerateSasUri : null);
    }

    public bool CanCreateUploadGrants => CanCreateReadLinks;

    public Uri? TryCreateUploadGrant(TimeSpan lifetime) =>
        Sign(_artifacts.Uri, new BlobSasBuilder(BlobContainerSasPermissions.Create, _clock.GetUtcNow() + lifetime)
        {
            BlobContainerName = _artifacts.Name,
            Resource = "c",
        }, _artifacts.CanGenerateSasUri ? _artifacts.GenerateSasUri : null);

    /// <summary>
    /// Signs with the account key when the store has it, else with the user delegation key (expiring no later
    /// than that key); null when neither can sign now.
    /// </summary>
    private Uri? Sign(Uri resource, BlobSasBuilder sas, Func<BlobSasBuilder, Uri>? withAccountKey)
    {
        var now = _clock.GetUtcNow();
        sas.StartsOn = now - ClockSlack;
        if (withAccountKey is not null)
        {
            return withAccountKey(sas);
        }

        if (_credential != BlobCredentialKind.EntraId || _service is null || _delegationKey is not { } key || key.SignedExpiresOn <= now.AddMinutes(10))
        {
            return null;
        }

        if (key.SignedExpiresOn < sas.ExpiresOn)
        {
            sas.ExpiresOn = key.SignedExpiresOn;
        }

        return new BlobUriBuilder(resource) { Sas = sas.ToSasQueryParameters(key, _service.AccountName) }.ToUri();
    }

    /// <summary>With Entra ID: a user delegation key for the longest the service allows (7 days), renewed when a day is left.</summary>
    public async Task PrepareReadLinksAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (_credential != BlobCredentialKind.EntraId || _service is null || _delegationKey is { } current && current.SignedExpiresOn > now.AddDays(1))
        {
            return;
        }

        _delegationKey = (await CallAsync("getting a user delegation key for", Container,
            () => _service.GetUserDelegationKeyAsync(now - ClockSlack, now.AddDays(7) - ClockSlack, cancellationToken), cancellationToken)).Value;
    }

    /// <summary>
    /// Creates both containers once per store (ones that exist are fine). Credentials that may not create
    /// containers (a SAS, or a role without it) leave that to whoever set the account up.
    /// </summary>
    private async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        if (_containersReady || _credential == BlobCredentialKind.Sas)
        {
            return;
        }

        foreach (var container in new[] { _state, _artifacts })
        {
            try
            {
                await CallAsync("creating container", container.Name, () => container.CreateIfNotExistsAsync(cancellationToken: cancellationToken), cancellationToken);
            }
            catch (StoreException e) when (e.InnerException is RequestFailedException { Status: 403 })
            {
                // The write itself will say what is wrong, if anything is.
            }
        }

        _containersReady = true;
    }

    /// <summary>
    /// Runs one SDK call (its own retries included) and turns what it throws into a <see cref="StoreException"/> a
    /// person can act on, without secrets or request URLs (the SDK's messages quote headers; they are not used).
    /// </summary>
    private async Task<T> CallAsync<T>(string operation, string target, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            throw new StoreException($"Azure Blob Storage: {operation} {target} failed with {e.Status} {e.ErrorCode}: {Hint(e)}.", e);
        }
        catch (Exception e) when (e is AuthenticationFailedException or CredentialUnavailableException)
        {
            throw new StoreException($"Could not get a Microsoft Entra ID token for Azure Storage: {e.Message}", e);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or IOException or HttpRequestException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Network faults and time-outs, after every retry. The innermost message names the host at most.
            var cause = e is AggregateException aggregate ? aggregate.InnerExceptions[^1] : e;
            while (cause.InnerException is not null)
            {
                cause = cause.InnerException;
            }

            throw new StoreException($"Azure Blob Storage could not be reached ({operation} {target}): {cause.Message}", e);
        }
    }

    private string Hint(RequestFailedException e) => (e.Status, e.ErrorCode) switch
    {
        // Azure says AuthenticationFailed for a bad signature; Azurite (and Azure's network rules) AuthorizationFailure.
        (403, "AuthenticationFailed" or "AuthorizationFailure") =>
            $"the {CredentialName} was refused: a wrong account key, a SAS that is malformed, expired or not yet valid, or a network rule",
        (403, "AuthorizationPermissionMismatch" or "AuthorizationResourceTypeMismatch" or "AuthorizationSourceIPMismatch") =>
            $"the {CredentialName} does not allow this operation (missing permission or role assignment)",
        (403, _) => $"access denied to the {CredentialName}",
        (404, "ContainerNotFound") => "the container does not exist and these credentials cannot create it",
        (413, _) => "the request is too large for the service",
        (408 or 429 or 500 or 502 or 503 or 504, _) => "the service kept failing after every retry",
        _ => "the service refused the request",
    };

    /// <summary>ETags as HTTP headers carry them (quoted); listings return them bare.</summary>
    private static string Quoted(ETag etag) => etag.ToString("H");
}
