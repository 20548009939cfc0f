using AutoCapture.Core.Storage;

namespace AutoCapture.Benchmarks;

/// <summary>Counts store operations, so a benchmark can report how many each alert costs.</summary>
internal sealed class CountingStore(IArtifactStore inner) : IArtifactStore
{
    private long _reads;
    private long _writes;
    private long _lists;
    private long _deletes;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public long Lists => Interlocked.Read(ref _lists);

    public long Deletes => Interlocked.Read(ref _deletes);

    public string Description => inner.Description;

    public Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.OpenReadAsync(key, cancellationToken);
    }

    public Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.WriteAsync(key, content, condition, cancellationToken);
    }

    public IAsyncEnumerable<StoreItem> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        return inner.ListAsync(prefix, cancellationToken);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deletes);
        return inner.DeleteAsync(key, cancellationToken);
    }
}
