namespace AutoCapture.Core.Storage;

/// <summary>Reads part of an object, so a viewer or a resumed download need not stream it whole.</summary>
public interface IRangedReads
{
    /// <summary>
    /// Opens <paramref name="length"/> bytes (or the rest, when null) from <paramref name="offset"/>; null if the
    /// object does not exist. A range past the end reads as empty. <see cref="StoreObject.Size"/> is the number of
    /// bytes this read returns.
    /// </summary>
    Task<StoreObject?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);
}

/// <summary>User metadata on an object (blob <c>x-ms-meta-*</c>): a few short name/value pairs.</summary>
public interface IObjectMetadata
{
    /// <summary>The object's metadata, or null if the object does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string key, CancellationToken cancellationToken);

    /// <summary>Replaces the object's metadata; false if the object does not exist.</summary>
    Task<bool> SetMetadataAsync(string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);
}

/// <summary>
/// Index tags (blob index tags): up to 10 string pairs per object, and a query that finds objects by them. The
/// capture index is built on these. Tags do not change an object's ETag.
/// </summary>
public interface ITaggedStore
{
    /// <summary>The object's tags, or null if the object does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>?> GetTagsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Replaces the object's tags; false if the object does not exist.</summary>
    Task<bool> SetTagsAsync(string key, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken);

    /// <summary>
    /// Keys of the objects whose tags include every pair of <paramref name="equals"/> (an AND of equalities).
    /// Order is unspecified. In Azure the tag index catches up with writes within seconds.
    /// </summary>
    IAsyncEnumerable<string> FindByTagsAsync(IReadOnlyDictionary<string, string> equals, CancellationToken cancellationToken);
}

/// <summary>Expiring read-only links straight to one object, for chat messages (blob storage: a SAS URL).</summary>
public interface IReadLinks
{
    /// <summary>False when the store's credentials cannot sign links (e.g. it was itself given only a SAS).</summary>
    bool CanCreateReadLinks { get; }

    /// <summary>
    /// Obtains ahead of time what signing needs beyond local keys (with Entra ID: a user delegation key), so
    /// <see cref="TryCreateReadLink"/> can stay synchronous. Call at start and periodically; cheap when fresh.
    /// </summary>
    Task PrepareReadLinksAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A URL that reads exactly <paramref name="key"/> and nothing else, until <paramref name="lifetime"/> has
    /// passed (shorter if the signing key expires sooner); null if links cannot be signed now. Secret as a password.
    /// </summary>
    Uri? TryCreateReadLink(string key, TimeSpan lifetime, string? contentType, string? fileName);
}

/// <summary>
/// Per-capture upload grants: a credential that lets a collector create the capture's artifacts and nothing else
/// (blob storage: a short-lived create-only SAS for the artifacts container). It cannot read, overwrite or delete,
/// and cannot reach manifests or limit state.
/// </summary>
public interface IUploadGrants
{
    /// <summary>False when the store's credentials cannot sign grants (e.g. it was itself given only a SAS).</summary>
    bool CanCreateUploadGrants { get; }

    /// <summary>
    /// A grant valid for <paramref name="lifetime"/> (shorter if the signing key expires sooner); null if grants
    /// cannot be signed now. Secret as a password. With Entra ID it needs <see cref="IReadLinks.PrepareReadLinksAsync"/>.
    /// </summary>
    Uri? TryCreateUploadGrant(TimeSpan lifetime);
}

/// <summary>Delete only the version one has seen, so cleaning up expired state never removes a fresh write.</summary>
public interface IConditionalDelete
{
    /// <summary>Deletes <paramref name="key"/> if its ETag is still <paramref name="etag"/>; false if it changed or is gone.</summary>
    Task<bool> DeleteIfMatchAsync(string key, string etag, CancellationToken cancellationToken);
}
