using System.Collections.Concurrent;

namespace AutoCapture.Functions.Admission;

/// <summary>
/// What this instance has seen decided, so the repeats Alertmanager sends every <c>repeat_interval</c> cost no store
/// round trip. A capture id with a manifest is decided for good (a manifest, once created, stays). A skip is remembered
/// until the earliest of the committed reservations that refused it expires: those are never given back early, so
/// until then the store would answer the same. Absence is always asked of the store.
/// </summary>
public sealed class KnownCaptures
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RememberedSkip> _skips = new(StringComparer.Ordinal);

    // Counted apart: ConcurrentDictionary.Count takes every lock, which concurrent deliveries would queue on.
    private int _idCount;
    private int _skipCount;

    public bool Contains(string captureId) => _ids.ContainsKey(captureId);

    public void Add(string captureId)
    {
        if (_ids.TryAdd(captureId, 0) && Interlocked.Increment(ref _idCount) > Capacity)
        {
            _ids.Clear();
            Interlocked.Exchange(ref _idCount, 0);
        }
    }

    public void RememberSkip(string captureId, SkipCause cause, string reason, DateTimeOffset until)
    {
        var skip = new RememberedSkip(cause, reason, until);
        if (_skips.TryAdd(captureId, skip))
        {
            if (Interlocked.Increment(ref _skipCount) > Capacity)
            {
                _skips.Clear();
                Interlocked.Exchange(ref _skipCount, 0);
            }
        }
        else
        {
            _skips[captureId] = skip;
        }
    }

    public RememberedSkip? SkipOf(string captureId, DateTimeOffset now) =>
        _skips.TryGetValue(captureId, out var skip) && skip.Until > now ? skip : null;
}

public sealed record RememberedSkip(SkipCause Cause, string Reason, DateTimeOffset Until);
