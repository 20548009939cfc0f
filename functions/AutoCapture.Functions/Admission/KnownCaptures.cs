using System.Collections.Concurrent;

namespace AutoCapture.Functions.Admission;

/// <summary>
/// Capture ids this instance has seen decided in the store (a manifest written). A manifest, once created, stays, so
/// remembering it saves a store round trip for every repeat Alertmanager sends; absence is always asked of the store.
/// </summary>
public sealed class KnownCaptures
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public bool Contains(string captureId) => _ids.ContainsKey(captureId);

    public void Add(string captureId)
    {
        if (_ids.Count >= Capacity)
        {
            _ids.Clear();
        }

        _ids.TryAdd(captureId, 0);
    }
}
