using System.Text.Json;
using AutoCapture.Core.Json;

namespace AutoCapture.Core.Storage;

/// <summary>JSON documents in the store, and the compare-and-swap loop that state updates are built on.</summary>
public static class StoreJson
{
    public static async Task<(T Value, string ETag)?> ReadAsync<T>(this IArtifactStore store, string key, CancellationToken cancellationToken)
    {
        await using var stored = await store.OpenReadAsync(key, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        try
        {
            var value = await AutoCaptureJson.DeserializeAsync<T>(stored.Content, cancellationToken);
            return (value, stored.ETag);
        }
        catch (JsonException e)
        {
            throw new StoreException($"'{key}' in {store.Description} is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    public static async Task<WriteResult> WriteJsonAsync<T>(this IArtifactStore store, string key, T value, WriteCondition condition, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(AutoCaptureJson.Serialize(value, indented: true), writable: false);
        return await store.WriteAsync(key, content, condition, cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="update"/> to the current value (null if absent) and writes the result only if
    /// nobody else wrote in between, retrying on conflict. Returning null from <paramref name="update"/>
    /// leaves the stored value as it is. Returns the value that ended up stored, or null if nothing was written.
    /// </summary>
    public static async Task<T?> UpdateAsync<T>(this IArtifactStore store, string key, Func<T?, T?> update, CancellationToken cancellationToken, int maxAttempts = 100)
        where T : class =>
        (await store.UpdateFromAsync(key, seen: null, update, cancellationToken, maxAttempts))?.Value;

    /// <summary>
    /// <see cref="UpdateAsync{T}"/> whose first attempt starts from a version already read (<paramref name="seen"/>),
    /// so an update nobody raced costs one write and no read. Returns the version written, or null if none was.
    /// </summary>
    public static async Task<StoreVersion<T>?> UpdateFromAsync<T>(this IArtifactStore store, string key, StoreVersion<T>? seen, Func<T?, T?> update, CancellationToken cancellationToken, int maxAttempts = 100)
        where T : class
    {
        for (var attempt = 0; attempt < maxAttempts; attempt++)
        {
            var current = seen ?? await store.ReadVersionAsync<T>(key, cancellationToken);
            seen = null;
            var next = update(current.Value);
            if (next is null)
            {
                return null;
            }

            var condition = current.ETag is { } etag ? WriteCondition.IfMatch(etag) : WriteCondition.IfAbsent;
            var result = await store.WriteJsonAsync(key, next, condition, cancellationToken);
            if (result.Written)
            {
                return new StoreVersion<T>(next, result.ETag);
            }

            await Task.Delay(Random.Shared.Next(0, Math.Min(1 + attempt * 2, 50)), cancellationToken);
        }

        throw new StoreException($"Gave up updating '{key}' in {store.Description} after {maxAttempts} conflicting writes.");
    }

    /// <summary>The document as it is now: its value and ETag, both null when it does not exist.</summary>
    public static async Task<StoreVersion<T>> ReadVersionAsync<T>(this IArtifactStore store, string key, CancellationToken cancellationToken)
        where T : class =>
        await store.ReadAsync<T>(key, cancellationToken) is { } read ? new StoreVersion<T>(read.Value, read.ETag) : new StoreVersion<T>(null, null);
}

/// <summary>One version of a JSON document; a null <see cref="ETag"/> means the document did not exist.</summary>
public sealed record StoreVersion<T>(T? Value, string? ETag)
    where T : class;
