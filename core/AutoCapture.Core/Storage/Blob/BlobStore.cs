using System.Net;
using System.Runtime.CompilerServices;
using AutoCapture.Core.IO;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>
/// The artifact store on Azure Blob Storage, spoken to over its REST API: one container, keys are blob names.
/// Conditional writes map to <c>If-None-Match: *</c> and <c>If-Match</c>, which the service applies atomically,
/// so dedup and rate-limit decisions hold across any number of instances. The container is created on first
/// write if the credentials allow it.
/// </summary>
public sealed class BlobStore : IArtifactStore, IRangedReads, IObjectMetadata, ITaggedStore, IReadLinks, IConditionalDelete, IDisposable
{
    /// <summary>Marks which writer stored a version, so a write whose answer was lost and retried can recognise itself.</summary>
    internal const string WriterMetadata = "autocapture_writer";
    private const string MetaPrefix = "x-ms-meta-";

    private readonly BlobConnection _connection;
    private readonly StoreOptions _options;
    private readonly BlobRequests _requests;
    private readonly BlobUploader _uploader;
    private readonly int _listPageSize;
    private volatile UserDelegationKey? _delegationKey;

    public BlobStore(BlobConnection connection, StoreOptions options, HttpMessageHandler? handler = null, int listPageSize = 5000)
    {
        _connection = connection;
        _options = options;
        _listPageSize = listPageSize;
        _requests = new BlobRequests(connection.Authorization, options, handler);
        _uploader = new BlobUploader(this, _requests, options);
    }

    public string Container => _options.Container;

    public string Description => $"Azure Blob container {Container} at {_connection.ServiceUri} ({_requests.AuthorizationKind})";

    internal Uri ContainerUri(string query) => new($"{_connection.Endpoint}/{Container}?{query}");

    internal Uri BlobUri(string key, string? query = null) => new($"{_connection.Endpoint}/{Container}/{key}" + (query is null ? "" : "?" + query));

    public Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken) => OpenAsync(key, null, cancellationToken);

    public Task<StoreObject?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "a range length cannot be negative.");
        }

        return OpenAsync(key, (offset, length), cancellationToken);
    }

    private async Task<StoreObject?> OpenAsync(string key, (long Offset, long? Length)? range, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        if (range is { Length: 0 } || range is { Offset: 0, Length: null })
        {
            // HTTP cannot express an empty range, and a whole read needs none.
            if (range is { Length: 0 })
            {
                return await EmptyIfExistsAsync(key, cancellationToken);
            }

            range = null;
        }

        var response = await _requests.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, BlobUri(key));
            if (range is var (offset, length))
            {
                request.Headers.TryAddWithoutValidation("x-ms-range", length is { } l ? $"bytes={offset}-{offset + l - 1}" : $"bytes={offset}-");
            }

            return request;
        }, headersOnly: true, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            response.Dispose();
            return await EmptyIfExistsAsync(key, cancellationToken);
        }

        if (!BlobXml.IsSuccess(response))
        {
            using (response)
            {
                throw BlobErrors.From(response, "reading", key, _requests.AuthorizationKind);
            }
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new StoreObject(new ResponseStream(stream, response), BlobXml.ETagOf(response) ?? "", response.Content.Headers.ContentLength ?? 0);
    }

    private async Task<StoreObject?> EmptyIfExistsAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, BlobUri(key)), headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "reading", key);
        return new StoreObject(Stream.Null, BlobXml.ETagOf(response) ?? "", 0);
    }

    public Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        return _uploader.UploadAsync(key, content, condition, cancellationToken);
    }

    public async IAsyncEnumerable<StoreItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValidPrefix(prefix);
        string? marker = null;
        do
        {
            var query = $"restype=container&comp=list&maxresults={_listPageSize}&prefix={Uri.EscapeDataString(prefix)}"
                + (marker is null ? "" : $"&marker={Uri.EscapeDataString(marker)}");
            using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, ContainerUri(query)), headersOnly: false, cancellationToken);
            if (BlobXml.Is(response, HttpStatusCode.NotFound, "ContainerNotFound"))
            {
                yield break;
            }

            EnsureSuccess(response, "listing", $"'{prefix}'");
            var page = BlobXml.ParseList(await BlobXml.LoadAsync(response, cancellationToken));
            foreach (var item in page.Items)
            {
                yield return item;
            }

            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, BlobUri(key)), headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "deleting", key);
        return true;
    }

    public async Task<bool> DeleteIfMatchAsync(string key, string etag, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        using var response = await _requests.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Delete, BlobUri(key));
            request.Headers.TryAddWithoutValidation("If-Match", etag);
            return request;
        }, headersOnly: false, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            return false;
        }

        EnsureSuccess(response, "deleting", key);
        return true;
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string key, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, BlobUri(key)), headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "reading metadata of", key);
        return MetadataOf(response);
    }

    internal static Dictionary<string, string> MetadataOf(HttpResponseMessage response, bool includeWriter = false) =>
        response.Headers
            .Where(h => h.Key.StartsWith(MetaPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key[MetaPrefix.Length..].ToLowerInvariant(), Value: string.Join(",", h.Value)))
            .Where(m => includeWriter || m.Name != WriterMetadata)
            .ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);

    public async Task<bool> SetMetadataAsync(string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        StoreAnnotations.EnsureValidMetadata(metadata);
        using var response = await _requests.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, BlobUri(key, "comp=metadata"));
            foreach (var (name, value) in metadata)
            {
                request.Headers.TryAddWithoutValidation(MetaPrefix + name, value);
            }

            return request;
        }, headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "setting metadata of", key);
        return true;
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetTagsAsync(string key, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, BlobUri(key, "comp=tags")), headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, "reading tags of", key);
        return BlobXml.ParseTags(await BlobXml.LoadAsync(response, cancellationToken));
    }

    public async Task<bool> SetTagsAsync(string key, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValid(key);
        StoreAnnotations.EnsureValidTags(tags);
        var body = BlobXml.Tags(tags);
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Put, BlobUri(key, "comp=tags"))
        {
            Content = BlobRequests.Bytes(body, "application/xml"),
        }, headersOnly: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response, "setting tags of", key);
        return true;
    }

    public async IAsyncEnumerable<string> FindByTagsAsync(IReadOnlyDictionary<string, string> equals, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreAnnotations.EnsureValidQuery(equals);
        // Tag names are quoted with ", values with '; the tag alphabet contains neither.
        var where = string.Join(" AND ", equals.Select(t => $"\"{t.Key}\"='{t.Value}'"));
        string? marker = null;
        do
        {
            var query = $"restype=container&comp=blobs&maxresults={_listPageSize}&where={Uri.EscapeDataString(where)}"
                + (marker is null ? "" : $"&marker={Uri.EscapeDataString(marker)}");
            using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, ContainerUri(query)), headersOnly: false, cancellationToken);
            if (BlobXml.Is(response, HttpStatusCode.NotFound, "ContainerNotFound"))
            {
                yield break;
            }

            EnsureSuccess(response, "finding blobs by tags in", Container);
            var page = BlobXml.ParseFind(await BlobXml.LoadAsync(response, cancellationToken));
            foreach (var name in page.Names)
            {
                yield return name;
            }

            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    public bool CanCreateReadLinks => _connection.Authorization is SharedKeyAuthorization or TokenAuthorization;

    public Uri? TryCreateReadLink(string key, TimeSpan lifetime, string? contentType, string? fileName)
    {
        StoreKeys.EnsureValid(key);
        var now = DateTimeOffset.UtcNow;
        var delegation = _delegationKey;
        var expires = now + lifetime;
        if (delegation is not null && delegation.ExpiresOn < expires)
        {
            expires = delegation.ExpiresOn;
        }

        var grant = new SasGrant(
            Container,
            key,
            "r",
            expires,
            // A little slack for clocks that run behind the service's.
            StartsOn: now.AddMinutes(-5),
            ContentType: contentType,
            ContentDisposition: fileName is null ? null : $"attachment; filename=\"{fileName}\"");
        var sas = _connection.Authorization switch
        {
            SharedKeyAuthorization accountKey => BlobSas.CreateServiceSas(accountKey, grant),
            TokenAuthorization when delegation is not null && delegation.ExpiresOn > now.AddMinutes(10) =>
                BlobSas.CreateUserDelegationSas(_connection.AccountName, delegation, grant),
            _ => null,
        };
        return sas is null ? null : new Uri($"{BlobUri(key)}?{sas}");
    }

    /// <summary>With Entra ID: a user delegation key for the longest the service allows (7 days), renewed when a day is left.</summary>
    public async Task PrepareReadLinksAsync(CancellationToken cancellationToken)
    {
        if (_connection.Authorization is not TokenAuthorization || _delegationKey is { } current && current.ExpiresOn > DateTimeOffset.UtcNow.AddDays(1))
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var body = BlobXml.KeyInfo(now.AddMinutes(-5), now.AddDays(7).AddMinutes(-5));
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri($"{_connection.Endpoint}/?restype=service&comp=userdelegationkey"))
        {
            Content = BlobRequests.Bytes(body, "application/xml"),
        }, headersOnly: false, cancellationToken);
        EnsureSuccess(response, "getting a user delegation key for", Container);
        _delegationKey = BlobXml.ParseDelegationKey(await BlobXml.LoadAsync(response, cancellationToken));
    }

    /// <summary>Creates the container; one that already exists is fine.</summary>
    public async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        using var response = await _requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Put, ContainerUri("restype=container")), headersOnly: false, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            EnsureSuccess(response, "creating container", Container);
        }
    }

    internal void EnsureSuccess(HttpResponseMessage response, string operation, string target)
    {
        if (!BlobXml.IsSuccess(response))
        {
            throw BlobErrors.From(response, operation, target, _requests.AuthorizationKind);
        }
    }

    public void Dispose()
    {
        _requests.Dispose();
    }

    /// <summary>The body of a download; disposing it releases the HTTP response and its connection.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
