using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Limits;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Maintenance;

public sealed record HousekeepingReport(int Redispatched, int GaveUp, int Finalised, int LimitStatesRemoved)
{
    /// <summary>Final chat messages sent again after an earlier attempt failed (or never happened).</summary>
    public int Renotified { get; init; }

    /// <summary>Manifests whose index tags did not match them (a crash between write and tagging) and were tagged again.</summary>
    public int Reindexed { get; init; }

    /// <summary>Open captures settled here: ended with nothing owed to chat, or opened by an instance that died before writing the manifest.</summary>
    public int Settled { get; init; }

    /// <summary>In-flight slots freed because no open capture holds them (an instance died between admitting and opening it).</summary>
    public int SlotsFreed { get; init; }

    /// <summary>Scheduled baselines started because their slot came.</summary>
    public int BaselinesStarted { get; init; }

    /// <summary>Objects of current baselines renewed so retention keeps them (<see cref="BaselineRetention"/>).</summary>
    public int BaselineObjectsRenewed { get; init; }

    public override string ToString() =>
        $"{Redispatched} captures re-dispatched, {GaveUp} given up, {Finalised} finished from the store or failed past their deadline, {Settled} settled, {SlotsFreed} orphaned in-flight slots freed, {LimitStatesRemoved} expired rate-limit documents removed, {Renotified} chat messages re-sent, {Reindexed} manifests re-indexed, {BaselinesStarted} scheduled baselines started, {BaselineObjectsRenewed} baseline objects renewed";
}

/// <summary>
/// Periodic clean-up that keeps the store honest when an instance or a collector died mid-way. It walks the open
/// captures (<see cref="OpenCaptures"/>) — never date folders, so a capture of an alert that started weeks ago is seen
/// like any other: one left unfinished past a deadline is finished from the collector's result in the store if it is
/// there (the completion callback was lost); otherwise one still <c>pending</c> is dispatched again (a bounded number
/// of times, then failed and reported), and one a collector took is failed with the reason once past its deadline.
/// Only admitted captures are open, so nothing it dispatches escaped the limits. Final chat messages that failed are
/// sent again (at most <see cref="ChatOptions.MaxNotifyAttempts"/> attempts, each claimed with compare-and-swap), and a
/// capture is settled — in-flight slot freed, taken out of the open captures — only once it is terminal with its
/// message out. Rate-limit state has its expired reservations pruned, empty documents deleted, and in-flight slots no
/// open capture holds freed. It also starts the scheduled baselines that are due and renews the current baselines so
/// retention keeps them. Safe to run on many instances at once: each re-dispatch and re-send is claimed with
/// compare-and-swap. Runs from <see cref="HousekeepingService"/> standalone, or from the timer function under Azure Functions.
/// </summary>
public sealed class Housekeeping(
    IArtifactStore store,
    ManifestStore manifests,
    OpenCaptures open,
    StoreLimiter limiter,
    CaptureLimits limits,
    DispatchWorker dispatcher,
    CaptureFinisher finisher,
    ChatDispatcher chat,
    BaselineScheduler baselines,
    BaselineRetention retention,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<Housekeeping> logger)
{
    private HousekeepingOptions Settings => options.Value.Housekeeping;

    /// <summary>One pass, counted in the housekeeping metrics, whichever schedule started it (service or timer function).</summary>
    public async Task<HousekeepingReport> RunScheduledAsync(CancellationToken cancellationToken)
    {
        try
        {
            var report = await RunAsync(cancellationToken);
            WebhookMetrics.HousekeepingRan(finished: true, clock.GetUtcNow());
            return report;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            WebhookMetrics.HousekeepingRan(finished: false, clock.GetUtcNow());
            throw;
        }
    }

    public async Task<HousekeepingReport> RunAsync(CancellationToken cancellationToken)
    {
        var pass = new CapturePass();
        var openIds = await SweepOpenCapturesAsync(pass, cancellationToken);
        var slotsFreed = await FreeOrphanedSlotsAsync(openIds, cancellationToken);
        var expired = await ExpireLimitStateAsync(cancellationToken);
        var report = new HousekeepingReport(pass.Redispatched, pass.GaveUp, pass.Finalised, expired)
        {
            Renotified = pass.Renotified,
            Reindexed = pass.Reindexed,
            Settled = pass.Settled,
            SlotsFreed = slotsFreed,
            BaselinesStarted = await baselines.StartDueAsync(cancellationToken),
            BaselineObjectsRenewed = await retention.KeepAsync(cancellationToken),
        };
        logger.LogInformation("Housekeeping: {Report}", report);
        return report;
    }

    private sealed class CapturePass
    {
        public int Redispatched { get; set; }
        public int GaveUp { get; set; }
        public int Finalised { get; set; }
        public int Renotified { get; set; }
        public int Reindexed { get; set; }
        public int Settled { get; set; }
    }

    /// <returns>The ids of every open capture, for telling orphaned in-flight slots apart.</returns>
    private async Task<HashSet<string>> SweepOpenCapturesAsync(CapturePass pass, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var openIds = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in open.ListAsync(cancellationToken))
        {
            openIds.Add(entry.CaptureId);
            if (now - entry.Since < Settings.PendingDeadline)
            {
                continue;
            }

            var manifest = await manifests.ReadAsync(entry.CaptureId, cancellationToken);
            if (manifest is null)
            {
                // Opened by an instance that died before it wrote the manifest: there is no capture to finish.
                logger.LogWarning("Capture {CaptureId} was opened at {Since:u} but has no manifest; clearing it", entry.CaptureId, entry.Since);
                pass.Settled += await finisher.SettleIfDoneAsync(entry.CaptureId, cancellationToken) ? 1 : 0;
                continue;
            }

            if (now - LastTouched(manifest) < Settings.PendingDeadline)
            {
                continue;
            }

            if (await NeedsIndexAsync(manifest, cancellationToken))
            {
                await manifests.IndexAsync(manifest.Id, cancellationToken);
                pass.Reindexed++;
            }

            if (manifest.Status.IsTerminal())
            {
                if (chat.IsOwed(manifest, now) && await ClaimNotifyAsync(manifest, now, cancellationToken) is { } owed)
                {
                    logger.LogInformation("Capture {CaptureId}: sending its chat message again (attempt {Attempt}; last error: {Error})", owed.Id, owed.NotifyAttempts + 1, owed.NotifyError ?? "none");
                    await chat.NotifyAsync(owed, cancellationToken);
                    pass.Renotified++;
                }

                pass.Settled += await finisher.SettleIfDoneAsync(manifest.Id, cancellationToken) ? 1 : 0;
                continue;
            }

            // Even a pending capture may have run: its dispatch was never recorded (the instance died, the answer
            // was lost). Its result, not a second capture, settles it.
            if (await FinishFromResultAsync(manifest, cancellationToken) is { } finishedFromStore)
            {
                pass.Finalised += finishedFromStore ? 1 : 0;
                continue;
            }

            if (manifest.Status != CaptureStatus.Pending)
            {
                pass.Finalised += await FailPastDeadlineAsync(manifest, now, cancellationToken) ? 1 : 0;
                continue;
            }

            if (await ClaimAsync(manifest, now, cancellationToken) is not { } claimed)
            {
                continue;
            }

            if (claimed.DispatchAttempts > Settings.MaxDispatchAttempts)
            {
                await finisher.FailAsync(claimed.Id, $"never reached the collector: still pending after {Settings.MaxDispatchAttempts} dispatch attempts", cancellationToken);
                pass.GaveUp++;
                continue;
            }

            logger.LogWarning("Capture {CaptureId} was still pending at {Age:c}; dispatching again (attempt {Attempt} of {Max})", claimed.Id, now - manifest.CreatedAt, claimed.DispatchAttempts, Settings.MaxDispatchAttempts);
            await dispatcher.DispatchAsync(claimed.Id, cancellationToken);
            pass.Redispatched++;
        }

        return openIds;
    }

    /// <summary>
    /// An in-flight slot whose capture is not open belongs to an instance that died between committing the limits and
    /// opening the capture: nothing will ever run in it. Recent ones are left alone, as that instance may be about to open it.
    /// </summary>
    private async Task<int> FreeOrphanedSlotsAsync(HashSet<string> openIds, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var inFlight = await limiter.ReadAsync(limits.InFlight(), now, cancellationToken);
        var orphans = inFlight.Active
            .Where(e => e.Committed && !openIds.Contains(e.CaptureId) && now - e.At >= Settings.PendingDeadline)
            .Select(e => e.CaptureId)
            .ToHashSet(StringComparer.Ordinal);
        if (orphans.Count > 0)
        {
            logger.LogWarning("Freeing {Count} in-flight slots no open capture holds: {CaptureIds}", orphans.Count, orphans);
            await limiter.ReleaseAsync(limits.InFlight(), e => orphans.Contains(e.CaptureId), now, cancellationToken);
        }

        return orphans.Count;
    }

    private async Task<bool> NeedsIndexAsync(CaptureManifest manifest, CancellationToken cancellationToken) =>
        store is ITaggedStore tagged
        && await tagged.GetTagsAsync(CaptureIds.ManifestKey(manifest.Id), cancellationToken) is { } tags
        && !(tags.TryGetValue(CaptureTags.Status, out var status) && status == CaptureTags.StatusName(manifest.Status));

    /// <summary>Only one instance re-sends a message: the one whose compare-and-swap on the version it saw wins.</summary>
    private Task<CaptureManifest?> ClaimNotifyAsync(CaptureManifest seen, DateTimeOffset now, CancellationToken cancellationToken) =>
        manifests.UpdateAsync(seen.Id, current => current.NotifiedAt is null && current.UpdatedAt == seen.UpdatedAt && current.NotifyAttempts == seen.NotifyAttempts
            ? current with { NotifyingSince = now, UpdatedAt = now }
            : null, cancellationToken);

    /// <summary>Finishes the capture from the collector's <c>result.json</c> when its completion callback was lost; null if there is none.</summary>
    private async Task<bool?> FinishFromResultAsync(CaptureManifest manifest, CancellationToken cancellationToken)
    {
        if (await store.ReadAsync<CaptureResult>(CaptureIds.ResultKey(manifest.Id), cancellationToken) is not { } result)
        {
            return null;
        }

        logger.LogWarning("Capture {CaptureId}: the collector's result is in the store but its completion never arrived; finishing from the store", manifest.Id);
        return (await finisher.CompleteAsync(result.Value, cancellationToken)).Moved;
    }

    /// <summary>A capture the collector took but never finished: failed once it is past the time its captures could possibly take.</summary>
    private async Task<bool> FailPastDeadlineAsync(CaptureManifest manifest, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = manifest.DispatchedAt ?? manifest.CreatedAt;
        var expected = TimeSpan.FromSeconds(manifest.Captures.Sum(c => c.DurationSeconds ?? 0));
        var deadline = started + expected + Settings.CaptureGrace;
        if (now < deadline)
        {
            return false;
        }

        var reason = $"the collector at {new Uri(manifest.Target.Collector).Authority} never reported back: the capture was {manifest.Status.ToString().ToLowerInvariant()} since {LastTouched(manifest):yyyy-MM-dd HH:mm:ss}Z and is past its deadline of {deadline:HH:mm:ss}Z";
        return (await finisher.FailAsync(manifest.Id, reason, cancellationToken)).Moved;
    }

    private static DateTimeOffset LastTouched(CaptureManifest manifest) => manifest.UpdatedAt > manifest.CreatedAt ? manifest.UpdatedAt : manifest.CreatedAt;

    /// <summary>Counts the attempt before making it, so a dispatch that keeps dying is still bounded; only one instance wins the claim.</summary>
    private Task<CaptureManifest?> ClaimAsync(CaptureManifest seen, DateTimeOffset now, CancellationToken cancellationToken) =>
        manifests.UpdateAsync(seen.Id, current => current.Status == CaptureStatus.Pending && current.UpdatedAt == seen.UpdatedAt && current.DispatchAttempts == seen.DispatchAttempts
            ? current with { DispatchAttempts = current.DispatchAttempts + 1, UpdatedAt = now }
            : null, cancellationToken);

    private async Task<int> ExpireLimitStateAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var removed = 0;
        await foreach (var item in store.ListAsync(CaptureLimits.Prefix, cancellationToken))
        {
            await limiter.PruneAsync(item.Key, now, cancellationToken);
            if (store is IConditionalDelete conditional
                && await store.ReadAsync<LimitState>(item.Key, cancellationToken) is { Value.Entries.Count: 0 } empty
                && await conditional.DeleteIfMatchAsync(item.Key, empty.ETag, cancellationToken))
            {
                removed++;
            }
        }

        return removed;
    }
}
