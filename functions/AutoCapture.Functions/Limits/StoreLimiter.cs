using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Limits;

/// <summary>One reservation in a limit's state: a capture holding a slot until a time, pending or committed.</summary>
public sealed record LimitEntry(string CaptureId, string Key, DateTimeOffset At, DateTimeOffset Until, bool Committed);

public sealed record LimitState(IReadOnlyList<LimitEntry> Entries);

/// <summary>
/// A limit kept in one store document: at most <see cref="Capacity"/> active reservations (or distinct keys,
/// e.g. distinct targets, when <see cref="DistinctKeys"/> is set).
/// </summary>
public sealed record LimitPolicy(string StoreKey, int Capacity, bool DistinctKeys = false);

public enum Admission
{
    /// <summary>A pending reservation is held; commit or release it.</summary>
    Reserved,

    /// <summary>Committed reservations of other captures fill the limit.</summary>
    Refused,

    /// <summary>Only pending reservations of other captures fill it: they may yet be released, so ask again.</summary>
    Busy,
}

/// <param name="Holders">For a refusal: the committed reservations that fill the limit.</param>
public sealed record AdmissionResult(Admission Outcome, IReadOnlyList<LimitEntry> Holders);

/// <summary>
/// Limits enforced in the store with compare-and-swap, so every webhook app instance sees the same counts.
/// Reservations are two-phase: a capture reserves a slot in each limit (pending), then commits all of them, or
/// releases what it holds when a later limit refuses. A refusal is only ever based on committed reservations;
/// a pending one makes the caller wait and ask again. That keeps the outcome exact under concurrency: no limit
/// is exceeded, and no capture is refused because of another that in the end did not happen.
/// </summary>
public sealed class StoreLimiter(IArtifactStore store)
{
    /// <summary>A pending reservation older than this belongs to an instance that died mid-decision.</summary>
    public static readonly TimeSpan PendingTimeout = TimeSpan.FromSeconds(30);

    public async Task<AdmissionResult> TryReserveAsync(LimitPolicy policy, string captureId, string key, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        AdmissionResult result = new(Admission.Reserved, []);
        await store.UpdateAsync<LimitState>(policy.StoreKey, current =>
        {
            var active = Active(current, now);
            if (active.Any(e => e.CaptureId == captureId))
            {
                // Asked again (a retried decision): it already holds its reservation.
                result = new(Admission.Reserved, []);
                return null;
            }

            var addsOne = !policy.DistinctKeys || active.All(e => e.Key != key);
            var committed = active.Where(e => e.Committed).ToList();
            if (addsOne && Count(committed, policy) >= policy.Capacity)
            {
                result = new(Admission.Refused, committed);
                return null;
            }

            if (addsOne && Count(active, policy) >= policy.Capacity)
            {
                result = new(Admission.Busy, []);
                return null;
            }

            result = new(Admission.Reserved, []);
            return new LimitState([.. active, new LimitEntry(captureId, key, now, until, Committed: false)]);
        }, cancellationToken);
        return result;
    }

    /// <summary>
    /// Commits the capture's reservation; false if it no longer holds one: it stayed pending past
    /// <see cref="PendingTimeout"/> and another capture's write dropped it (and may have taken the slot), so the
    /// decision must start over. A reservation still in the document was taken over by nobody and is committed.
    /// </summary>
    public async Task<bool> CommitAsync(LimitPolicy policy, string captureId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var held = false;
        await store.UpdateAsync<LimitState>(policy.StoreKey, current =>
        {
            var mine = current?.Entries.FirstOrDefault(e => e.CaptureId == captureId);
            held = mine is not null;
            if (mine is null || mine.Committed)
            {
                return null;
            }

            return new LimitState([.. Active(current, now).Where(e => e.CaptureId != captureId), mine with { Committed = true }]);
        }, cancellationToken);
        return held;
    }

    public Task ReleaseAsync(LimitPolicy policy, string captureId, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.UpdateAsync<LimitState>(policy.StoreKey, current =>
        {
            if (current is null || current.Entries.All(e => e.CaptureId != captureId))
            {
                return null;
            }

            return new LimitState([.. Active(current, now).Where(e => e.CaptureId != captureId)]);
        }, cancellationToken);

    /// <summary>A committed, unexpired reservation of the limit, if any, without reserving anything.</summary>
    public async Task<LimitEntry?> FindHolderAsync(LimitPolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await store.ReadAsync<LimitState>(policy.StoreKey, cancellationToken) is { } state
            ? Active(state.Value, now).FirstOrDefault(e => e.Committed)
            : null;

    /// <summary>
    /// Drops expired reservations from a limit's document (housekeeping). The document itself stays: deleting it
    /// could race with a reservation being added, and an empty one costs nothing.
    /// </summary>
    public Task PruneAsync(string storeKey, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.UpdateAsync<LimitState>(storeKey, current =>
            current is null || Active(current, now).Count == current.Entries.Count ? null : new LimitState(Active(current, now)), cancellationToken);

    private static List<LimitEntry> Active(LimitState? state, DateTimeOffset now) =>
        state is null ? [] : [.. state.Entries.Where(e => e.Until > now && (e.Committed || e.At + PendingTimeout > now))];

    private static int Count(IEnumerable<LimitEntry> entries, LimitPolicy policy) =>
        policy.DistinctKeys ? entries.Select(e => e.Key).Distinct(StringComparer.Ordinal).Count() : entries.Count();
}
