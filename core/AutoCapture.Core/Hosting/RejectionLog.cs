namespace AutoCapture.Core.Hosting;

/// <summary>
/// Folds rejected requests (wrong credentials, bad signatures, throttling) into at most one log line per key per
/// <see cref="Window"/>, so a flood costs a counter increment instead of a line each: unsigned and wrong-token
/// floods wrote hundreds of megabytes of logs in seconds. The line that is written carries how many were folded.
/// </summary>
public sealed class RejectionLog(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    // Keys can be client addresses, which a sender chooses: past this many the rest share one line instead of
    // growing the map.
    private const int MaxKeys = 1024;
    private const string Overflow = "";
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts a rejection; true when it should be logged now, with <paramref name="folded"/> the rejections under
    /// the same key that were not logged since its previous line.
    /// </summary>
    public bool ShouldLog(string key, out long folded)
    {
        var now = clock.GetUtcNow();
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxKeys)
                {
                    foreach (var (quiet, _) in _entries.Where(e => now - e.Value.LoggedAt >= Window && e.Value.Folded == 0).ToList())
                    {
                        _entries.Remove(quiet);
                    }
                }

                var at = _entries.Count >= MaxKeys ? Overflow : key;
                if (!_entries.TryGetValue(at, out entry))
                {
                    entry = _entries[at] = new Entry();
                }
            }

            return ShouldLogUnder(entry, now, out folded);
        }
    }

    private static bool ShouldLogUnder(Entry entry, DateTimeOffset now, out long folded)
    {
        if (now - entry.LoggedAt < Window)
        {
            entry.Folded++;
            folded = 0;
            return false;
        }

        folded = entry.Folded;
        entry.Folded = 0;
        entry.LoggedAt = now;
        return true;
    }

    private sealed class Entry
    {
        public DateTimeOffset LoggedAt { get; set; } = DateTimeOffset.MinValue;

        public long Folded { get; set; }
    }
}
