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

    public bool Contains(string captureId) => _ids.ContainsKey(captureId);

    public void Add(string captureId)
    {
        if (_ids.Count >= Capacity)
        {
            _ids.Clear();
        }

        _ids.TryAdd(captureId, 0);
    }

    public void RememberSkip(string captureId, SkipCause cause, string reason, DateTimeOffset until)
    {
        if (_skips.Count >= Capacity)
        {
            _skips.Clear();
        }

        _skips[captureId] = new RememberedSkip(cause, reason, until);
    }

    public RememberedSkip? SkipOf(string captureId, DateTimeOffset now) =>
        _skips.TryGetValue(captureId, out var skip) && skip.Until > now ? skip : null;
}

public sealed record RememberedSkip(SkipCause Cause, string Reason, DateTimeOffset Until);
