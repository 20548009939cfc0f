using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Limits;

/// <summary>
/// One reservation in a limit's state: a capture holding a slot until a time, pending or committed, written by one
/// decision. Two instances can decide the same alert at once (an HA pair delivers each alert twice): the decision id
/// keeps one from committing or releasing the other's reservation.
/// </summary>
public sealed record LimitEntry(string CaptureId, string Key, DateTimeOffset At, DateTimeOffset Until, bool Committed, string? Decision = null);

public sealed record LimitState(IReadOnlyList<LimitEntry> Entries);

/// <summary>
/// A limit kept in one store document: at most <see cref="Capacity"/> active reservations (or distinct keys,
/// e.g. distinct targets, when <see cref="DistinctKeys"/> is set).
/// </summary>
public sealed record LimitPolicy(string StoreKey, int Capacity, bool DistinctKeys = false);

public enum LimitOutcome
{
    /// <summary>The reservation fits.</summary>
    Fits,

    /// <summary>Committed reservations (of other captures, or earlier ones of the same decision) fill the limit.</summary>
    Refused,

    /// <summary>Only pending reservations of other captures fill it: they may yet be released, so ask again.</summary>
    Busy,
}

/// <param name="Holders">For a refusal: the committed reservations that fill the limit.</param>
public sealed record LimitCheck(LimitOutcome Outcome, IReadOnlyList<LimitEntry> Holders)
{
    public static LimitCheck Fits { get; } = new(LimitOutcome.Fits, []);
}

/// <summary>
/// Limits enforced in the store with compare-and-swap, so every webhook app instance sees the same counts.
/// A decision reads each limit document once (<see cref="ReadAsync"/>), decides in memory what it adds
/// (<see cref="LimitDocument"/>), then reserves those entries (pending) in every document, and commits them only when
/// all reservations hold; otherwise it releases what it holds and decides again. A refusal is only ever based on
/// committed reservations; a pending one makes the caller wait and ask again. That keeps the outcome exact under
/// concurrency: no limit is exceeded, and no capture is refused because of another that in the end did not happen.
/// </summary>
public sealed class StoreLimiter(IArtifactStore store)
{
    /// <summary>A pending reservation older than this belongs to an instance that died mid-decision.</summary>
    public static readonly TimeSpan PendingTimeout = TimeSpan.FromSeconds(30);

    public async Task<LimitDocument> ReadAsync(LimitPolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        new(policy, await store.ReadVersionAsync<LimitState>(policy.StoreKey, cancellationToken), now);

    /// <summary>
    /// Writes the document's added entries as pending reservations, from the version read; after a conflicting write
    /// it checks them again against the document as it now is. False, with nothing written, when one no longer fits.
    /// </summary>
    public async Task<bool> ReserveAsync(LimitDocument document, CancellationToken cancellationToken)
    {
        var fits = true;
        var written = await store.UpdateFromAsync<LimitState>(document.Policy.StoreKey, document.Version, current =>
        {
            var recheck = new LimitDocument(document.Policy, new StoreVersion<LimitState>(current, null), document.Now);
            foreach (var entry in document.Added)
            {
                if (recheck.EntryOf(entry.CaptureId) is not null || recheck.Check(entry.Key).Outcome != LimitOutcome.Fits)
                {
                    fits = false;
                    return null;
                }

                recheck.Add(entry);
            }

            return new LimitState([.. recheck.Active, .. recheck.Added]);
        }, cancellationToken);
        document.Version = written;
        return fits;
    }

    /// <summary>
    /// Commits the captures' reservations in one write (from the version <see cref="ReserveAsync"/> left, when known);
    /// false if one no longer holds its reservation: it stayed pending past <see cref="PendingTimeout"/> and another
    /// capture's write dropped it (and may have taken the slot), so the decision must start over. A reservation still in
    /// the document was taken over by nobody and is committed.
    /// </summary>
    public async Task<bool> CommitAsync(LimitDocument document, CancellationToken cancellationToken)
    {
        var added = document.Added.ToHashSet();
        var held = true;
        await store.UpdateFromAsync<LimitState>(document.Policy.StoreKey, document.Version, current =>
        {
            var mine = current?.Entries.Where(added.Contains).ToList() ?? [];
            held = mine.Count == added.Count;
            if (!held)
            {
                return null;
            }

            return new LimitState([.. Active(current, document.Now).Where(e => !added.Contains(e)), .. mine.Select(e => e with { Committed = true })]);
        }, cancellationToken);
        return held;
    }

    /// <summary>Removes the reservations <paramref name="which"/> picks (and prunes expired ones while writing anyway).</summary>
    public Task ReleaseAsync(LimitPolicy policy, Func<LimitEntry, bool> which, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.UpdateAsync<LimitState>(policy.StoreKey, current =>
        {
            if (current is null || !current.Entries.Any(which))
            {
                return null;
            }

            return new LimitState([.. Active(current, now).Where(e => !which(e))]);
        }, cancellationToken);

    /// <summary>
    /// Drops expired reservations from a limit's document (housekeeping). The document itself stays: deleting it
    /// could race with a reservation being added, and an empty one costs nothing.
    /// </summary>
    public Task PruneAsync(string storeKey, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.UpdateAsync<LimitState>(storeKey, current =>
            current is null || Active(current, now).Count == current.Entries.Count ? null : new LimitState(Active(current, now)), cancellationToken);

    internal static List<LimitEntry> Active(LimitState? state, DateTimeOffset now) =>
        state is null ? [] : [.. state.Entries.Where(e => e.Until > now && (e.Committed || e.At + PendingTimeout > now))];
}

/// <summary>
/// A limit document as one decision sees it: the reservations in the store when it was read, and those the decision
/// adds. <see cref="Check"/> answers as the store would if the added ones were already committed. A delivery checks
/// every alert against the same few documents, so what the store holds is indexed once, when the document is read,
/// and a check allocates nothing unless it refuses.
/// </summary>
public sealed class LimitDocument
{
    private readonly List<LimitEntry> _added = [];
    private readonly Dictionary<string, LimitEntry> _byCapture = new(StringComparer.Ordinal);
    private readonly HashSet<string> _activeKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _committedKeys = new(StringComparer.Ordinal);
    private readonly int _committedCount;

    // What the decision added that still holds, kept as the counts Check needs.
    private readonly HashSet<string> _liveAddedKeys = new(StringComparer.Ordinal);
    private int _liveAddedCount;
    private int _liveAddedKeysNotActive;
    private int _liveAddedKeysNotCommitted;
    private LimitCheck? _refused;

    public LimitDocument(LimitPolicy policy, StoreVersion<LimitState> version, DateTimeOffset now)
    {
        Policy = policy;
        Now = now;
        Version = version;
        Active = StoreLimiter.Active(version.Value, now);
        foreach (var entry in Active)
        {
            _byCapture.TryAdd(entry.CaptureId, entry);
            _activeKeys.Add(entry.Key);
            if (entry.Committed)
            {
                _committedKeys.Add(entry.Key);
                _committedCount++;
            }
        }
    }

    public LimitPolicy Policy { get; }

    public DateTimeOffset Now { get; }

    /// <summary>The version the next write starts from (null: read it again).</summary>
    public StoreVersion<LimitState>? Version { get; set; }

    public IReadOnlyList<LimitEntry> Active { get; }

    public IReadOnlyList<LimitEntry> Added => _added;

    /// <summary>The store's reservation of the capture, if it holds one (another instance deciding the same alert).</summary>
    public LimitEntry? EntryOf(string captureId) => _byCapture.GetValueOrDefault(captureId);

    /// <summary>Whether one more reservation under <paramref name="key"/> fits.</summary>
    public LimitCheck Check(string key)
    {
        // A reservation whose hold ends at once (a zero cooldown) holds nothing, even within one decision.
        if (Policy.DistinctKeys && (_activeKeys.Contains(key) || _liveAddedKeys.Contains(key)))
        {
            return LimitCheck.Fits;
        }

        var committed = Policy.DistinctKeys ? _committedKeys.Count + _liveAddedKeysNotCommitted : _committedCount + _liveAddedCount;
        if (committed >= Policy.Capacity)
        {
            // A full document refuses every further alert of a delivery with the same holders: listed once.
            return _refused ??= new(LimitOutcome.Refused, [.. Active.Where(e => e.Committed), .. _added.Where(e => e.Until > Now)]);
        }

        var all = Policy.DistinctKeys ? _activeKeys.Count + _liveAddedKeysNotActive : Active.Count + _liveAddedCount;
        return all >= Policy.Capacity ? new(LimitOutcome.Busy, []) : LimitCheck.Fits;
    }

    public void Add(LimitEntry entry)
    {
        _added.Add(entry);
        _refused = null;
        if (entry.Until <= Now)
        {
            return;
        }

        _liveAddedCount++;
        if (_liveAddedKeys.Add(entry.Key))
        {
            _liveAddedKeysNotActive += _activeKeys.Contains(entry.Key) ? 0 : 1;
            _liveAddedKeysNotCommitted += _committedKeys.Contains(entry.Key) ? 0 : 1;
        }
    }

    /// <summary>Forgets what a decision added, to decide again from the same reads.</summary>
    public void Reset()
    {
        _added.Clear();
        _refused = null;
        _liveAddedKeys.Clear();
        _liveAddedCount = 0;
        _liveAddedKeysNotActive = 0;
        _liveAddedKeysNotCommitted = 0;
    }
}
