namespace AutoCapture.Core.Storage;

/// <summary>
/// The one store everything lives in: manifests, artifacts and the state that dedup and rate limits share
/// across instances. Conditional writes are what make those decisions exact; backends must implement them
/// atomically, not as read-then-write.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Where the store is, for logs and messages (never includes a secret).</summary>
    string Description { get; }

    /// <summary>Opens an object for streaming read, or null if it does not exist.</summary>
    Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes an object from a stream without buffering it whole; readers never see a partial object.</summary>
    Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken);

    /// <summary>Lists objects whose key starts with <paramref name="prefix"/>, in key order.</summary>
    IAsyncEnumerable<StoreItem> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object; false if it did not exist.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}

public sealed record StoreItem(string Key, long Size, string ETag, DateTimeOffset LastModified);

/// <summary>An open object: its content stream and the ETag of exactly the version being read.</summary>
public sealed class StoreObject(Stream content, string etag, long size) : IAsyncDisposable, IDisposable
{
    public Stream Content { get; } = content;
    public string ETag { get; } = etag;
    public long Size { get; } = size;

    public ValueTask DisposeAsync() => Content.DisposeAsync();

    public void Dispose() => Content.Dispose();
}

public enum WriteConditionKind
{
    None,
    IfAbsent,
    IfMatch,
}

/// <summary>Create-if-absent (<c>If-None-Match: *</c>) or compare-and-swap (<c>If-Match: etag</c>).</summary>
public readonly record struct WriteCondition(WriteConditionKind Kind, string? ETag)
{
    public static WriteCondition None => new(WriteConditionKind.None, null);
    public static WriteCondition IfAbsent => new(WriteConditionKind.IfAbsent, null);
    public static WriteCondition IfMatch(string etag) => new(WriteConditionKind.IfMatch, etag);
}

/// <summary>A write either happened (with the new ETag) or its condition did not hold; nothing in between.</summary>
public readonly record struct WriteResult(bool Written, string? ETag)
{
    public static WriteResult ConditionFailed => new(false, null);
    public static WriteResult Success(string etag) => new(true, etag);
}

/// <summary>The store refused or failed an operation; the message says which and why, without secrets.</summary>
public sealed class StoreException : Exception
{
    public StoreException(string message) : base(message) { }
    public StoreException(string message, Exception inner) : base(message, inner) { }
    public StoreException() { }
}
