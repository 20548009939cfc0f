using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AutoCapture.Core.Storage;

/// <summary>
/// Ranged reads, metadata and index tags for the folder store. Sidecars mirror the object's key under hidden
/// folders (<c>.meta/</c>, <c>.tags/objects/</c>), which listings skip. Find-by-tags uses a folder index:
/// <c>.tags/index/{hash of name and value}/{hash of key}</c> holds the key, so a query reads one folder and
/// then checks each candidate's tag set (which also makes a stale index entry harmless).
/// </summary>
public sealed partial class FolderStore
{
    private string MetadataPath(string key) => Path.Combine(_root, ".meta", key.Replace('/', Path.DirectorySeparatorChar) + ".json");

    private string TagsPath(string key) => Path.Combine(_root, ".tags", "objects", key.Replace('/', Path.DirectorySeparatorChar) + ".json");

    private string IndexFolder(string name, string value) => Path.Combine(_root, ".tags", "index", Hash($"{name}\0{value}"));

    public Task<StoreObject?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "a range length cannot be negative.");
        }

        var path = PathOf(key);
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<StoreObject?>(null);
        }

        var etag = ETagOf(File.GetLastWriteTimeUtc(stream.SafeFileHandle), stream.Length);
        var start = Math.Min(offset, stream.Length);
        var available = stream.Length - start;
        var count = length is { } l ? Math.Min(l, available) : available;
        stream.Position = start;
        return Task.FromResult<StoreObject?>(new StoreObject(new BoundedReadStream(stream, count), etag, count));
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetMetadataAsync(string key, CancellationToken cancellationToken)
    {
        if (!File.Exists(PathOf(key)))
        {
            return null;
        }

        return await ReadSidecarAsync(MetadataPath(key), cancellationToken) ?? new Dictionary<string, string>();
    }

    public async Task<bool> SetMetadataAsync(string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        StoreAnnotations.EnsureValidMetadata(metadata);
        var path = PathOf(key);
        await using var keyLock = await LockAsync(key, cancellationToken);
        if (!File.Exists(path))
        {
            return false;
        }

        await WriteSidecarAsync(MetadataPath(key), metadata, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetTagsAsync(string key, CancellationToken cancellationToken)
    {
        if (!File.Exists(PathOf(key)))
        {
            return null;
        }

        return await ReadSidecarAsync(TagsPath(key), cancellationToken) ?? new Dictionary<string, string>();
    }

    public async Task<bool> SetTagsAsync(string key, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        StoreAnnotations.EnsureValidTags(tags);
        var path = PathOf(key);
        await using var keyLock = await LockAsync(key, cancellationToken);
        if (!File.Exists(path))
        {
            return false;
        }

        RemoveTags(key);
        await WriteSidecarAsync(TagsPath(key), tags, cancellationToken);
        foreach (var (name, value) in tags)
        {
            var folder = IndexFolder(name, value);
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, Hash(key)), key, cancellationToken);
        }

        return true;
    }

    public async IAsyncEnumerable<string> FindByTagsAsync(IReadOnlyDictionary<string, string> equals, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreAnnotations.EnsureValidQuery(equals);
        var (firstName, firstValue) = equals.First();
        var folder = IndexFolder(firstName, firstValue);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var entry in Directory.EnumerateFiles(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string key;
            try
            {
                key = await File.ReadAllTextAsync(entry, cancellationToken);
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            if (!StoreKeys.IsValid(key) || await ReadSidecarAsync(TagsPath(key), cancellationToken) is not { } tags)
            {
                continue;
            }

            if (equals.All(pair => tags.TryGetValue(pair.Key, out var v) && v == pair.Value))
            {
                yield return key;
            }
        }
    }

    /// <summary>Forgets metadata and tags of <paramref name="key"/>; the caller holds the key's lock.</summary>
    private void ClearAnnotations(string key)
    {
        TryDelete(MetadataPath(key));
        RemoveTags(key);
    }

    private void RemoveTags(string key)
    {
        var tagsPath = TagsPath(key);
        if (!File.Exists(tagsPath))
        {
            return;
        }

        Dictionary<string, string>? old = null;
        try
        {
            old = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(tagsPath));
        }
        catch (JsonException)
        {
            // A damaged sidecar: drop it; its index entries fail the tag-set check in queries.
        }

        foreach (var (name, value) in old ?? [])
        {
            TryDelete(Path.Combine(IndexFolder(name, value), Hash(key)));
        }

        TryDelete(tagsPath);
    }

    private static async Task<Dictionary<string, string>?> ReadSidecarAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<Dictionary<string, string>>(file, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async Task WriteSidecarAsync(string path, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(_tempDirectory, Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(values), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 16);
}
