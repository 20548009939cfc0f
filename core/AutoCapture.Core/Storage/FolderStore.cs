using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace AutoCapture.Core.Storage;

/// <summary>
/// The embedded default store: a local folder. Objects are files named by their key. Writes stream to a
/// temporary file and are renamed into place, so readers see whole objects or nothing. Conditional writes
/// hold a per-key lock that is both in-process (semaphore) and cross-process (an exclusive lock file), so
/// several webhook app processes sharing one folder still agree. Metadata and tags live in hidden sidecar
/// folders (see FolderStore.Annotations.cs).
/// </summary>
public sealed partial class FolderStore : IArtifactStore, IRangedReads, IObjectMetadata, ITaggedStore, IConditionalDelete
{
    private const int LockStripes = 64;
    private readonly string _root;
    private readonly string _tempDirectory;
    private readonly string _lockDirectory;
    private readonly SemaphoreSlim[] _stripes;

    public FolderStore(string root)
    {
        _root = Path.GetFullPath(root);
        _tempDirectory = Path.Combine(_root, ".tmp");
        _lockDirectory = Path.Combine(_root, ".locks");
        Directory.CreateDirectory(_tempDirectory);
        Directory.CreateDirectory(_lockDirectory);
        _stripes = Enumerable.Range(0, LockStripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    }

    public string Root => _root;

    public string Description => $"folder {_root}";

    public Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        try
        {
            var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            // The ETag comes from the open handle, so it describes exactly the version this stream reads
            // even if a writer renames a new version into place a moment later.
            var etag = ETagOf(File.GetLastWriteTimeUtc(stream.SafeFileHandle), stream.Length);
            return Task.FromResult<StoreObject?>(new StoreObject(stream, etag, stream.Length));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<StoreObject?>(null);
        }
    }

    public async Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var temp = Path.Combine(_tempDirectory, Guid.NewGuid().ToString("N"));
        try
        {
            // Stream the content outside the lock: a large artifact must not hold up state writes.
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            }))
            {
                await content.CopyToAsync(file, 81920, cancellationToken);
            }

            await using var keyLock = await LockAsync(key, cancellationToken);
            var current = new FileInfo(path);
            var currentETag = current.Exists ? ETagOf(current.LastWriteTimeUtc, current.Length) : null;
            var conditionHolds = condition.Kind switch
            {
                WriteConditionKind.IfAbsent => currentETag is null,
                WriteConditionKind.IfMatch => currentETag is not null && currentETag == condition.ETag,
                _ => true,
            };
            if (!conditionHolds)
            {
                return WriteResult.ConditionFailed;
            }

            var written = new FileInfo(temp);
            var writtenAt = written.LastWriteTimeUtc;
            if (current.Exists && writtenAt <= current.LastWriteTimeUtc)
            {
                // ETags are mtime+size; keep them strictly increasing per key so a quick rewrite of the same
                // size is still a different version to compare-and-swap.
                writtenAt = current.LastWriteTimeUtc.AddTicks(1);
                File.SetLastWriteTimeUtc(temp, writtenAt);
            }

            var etag = ETagOf(writtenAt, written.Length);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temp, path, overwrite: true);
            // A new version starts bare, as a blob does when it is overwritten.
            ClearAnnotations(key);
            return WriteResult.Success(etag);
        }
        catch (IOException e)
        {
            throw new StoreException($"Writing '{key}' to {Description} failed: {e.Message}", e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public async IAsyncEnumerable<StoreItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StoreKeys.EnsureValidPrefix(prefix);
        var lastSlash = prefix.LastIndexOf('/');
        var baseDirectory = lastSlash < 0 ? _root : Path.Combine(_root, prefix[..lastSlash]);
        if (!Directory.Exists(baseDirectory))
        {
            yield break;
        }

        var keys = new List<(string Key, FileInfo File)>();
        foreach (var file in new DirectoryInfo(baseDirectory).EnumerateFiles("*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden,
        }))
        {
            var key = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && StoreKeys.IsValid(key))
            {
                keys.Add((key, file));
            }
        }

        keys.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (key, file) in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            file.Refresh();
            if (file.Exists)
            {
                yield return new StoreItem(key, file.Length, ETagOf(file.LastWriteTimeUtc, file.Length), file.LastWriteTimeUtc);
            }
        }

        await Task.CompletedTask;
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        await using var keyLock = await LockAsync(key, cancellationToken);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        ClearAnnotations(key);
        return true;
    }

    public async Task<bool> DeleteIfMatchAsync(string key, string etag, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        await using var keyLock = await LockAsync(key, cancellationToken);
        var current = new FileInfo(path);
        if (!current.Exists || ETagOf(current.LastWriteTimeUtc, current.Length) != etag)
        {
            return false;
        }

        File.Delete(path);
        ClearAnnotations(key);
        return true;
    }

    private string PathOf(string key)
    {
        StoreKeys.EnsureValid(key);
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    private static string ETagOf(DateTime lastWriteUtc, long length) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{lastWriteUtc.Ticks:x}-{length:x}\"");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temp file is harmless; housekeeping can sweep .tmp.
        }
    }

    private async Task<KeyLock> LockAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = (int)((uint)StableHash(key) % LockStripes);
        var semaphore = _stripes[stripe];
        await semaphore.WaitAsync(cancellationToken);
        try
        {
            var lockPath = Path.Combine(_lockDirectory, stripe.ToString(CultureInfo.InvariantCulture));
            var delay = 1;
            while (true)
            {
                try
                {
                    // FileShare.None takes an exclusive flock on Unix: other processes sharing the folder wait here.
                    var file = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    return new KeyLock(semaphore, file);
                }
                catch (IOException) when (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(delay, cancellationToken);
                    delay = Math.Min(delay * 2, 20);
                }
            }
        }
        catch
        {
            semaphore.Release();
            throw;
        }
    }

    private static int StableHash(string key)
    {
        // string.GetHashCode is randomised per process; stripes must agree across processes.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)hash;
    }

    private sealed class KeyLock(SemaphoreSlim semaphore, FileStream file) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await file.DisposeAsync();
            semaphore.Release();
        }
    }
}
