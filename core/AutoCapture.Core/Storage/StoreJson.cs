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
        where T : class
    {
        for (var attempt = 0; attempt < maxAttempts; attempt++)
        {
            var current = await store.ReadAsync<T>(key, cancellationToken);
            var next = update(current?.Value);
            if (next is null)
            {
                return null;
            }

            var condition = current is { } c ? WriteCondition.IfMatch(c.ETag) : WriteCondition.IfAbsent;
            var result = await store.WriteJsonAsync(key, next, condition, cancellationToken);
            if (result.Written)
            {
                return next;
            }

            await Task.Delay(Random.Shared.Next(0, Math.Min(1 + attempt * 2, 50)), cancellationToken);
        }

        throw new StoreException($"Gave up updating '{key}' in {store.Description} after {maxAttempts} conflicting writes.");
    }
}
