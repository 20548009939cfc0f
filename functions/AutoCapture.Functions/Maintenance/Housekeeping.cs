using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Limits;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Maintenance;

public sealed record HousekeepingReport(int Redispatched, int GaveUp, int Finalised, int LimitStatesRemoved)
{
    public override string ToString() =>
        $"{Redispatched} captures re-dispatched, {GaveUp} given up, {Finalised} finished from the store or failed past their deadline, {LimitStatesRemoved} expired rate-limit documents removed";
}

/// <summary>
/// Periodic clean-up that keeps the store honest when an instance or a collector died mid-way: a capture left
/// unfinished past a deadline is finished from the collector's result in the store if it is there (the completion
/// callback was lost); otherwise one still <c>pending</c> is dispatched again (a bounded number of times, then
/// failed and reported), and one a collector took is failed with the reason once past its deadline;
/// and rate-limit state has its expired reservations pruned, documents left empty being deleted.
/// Safe to run on many instances at once: each re-dispatch is claimed with compare-and-swap, and an empty
/// limit document is deleted only if it is still the version read (a reservation added meanwhile keeps it). Runs from
/// <see cref="HousekeepingService"/> standalone, or from the timer function under Azure Functions.
/// </summary>
public sealed class Housekeeping(
    IArtifactStore store,
    ManifestStore manifests,
    StoreLimiter limiter,
    DispatchWorker dispatcher,
    CaptureFinisher finisher,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<Housekeeping> logger)
{
    private HousekeepingOptions Settings => options.Value.Housekeeping;

    public async Task<HousekeepingReport> RunAsync(CancellationToken cancellationToken)
    {
        var (redispatched, gaveUp, finalised) = await SweepCapturesAsync(cancellationToken);
        var expired = await ExpireLimitStateAsync(cancellationToken);
        var report = new HousekeepingReport(redispatched, gaveUp, finalised, expired);
        logger.LogInformation("Housekeeping: {Report}", report);
        return report;
    }

    private async Task<(int Redispatched, int GaveUp, int Finalised)> SweepCapturesAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var redispatched = 0;
        var gaveUp = 0;
        var finalised = 0;
        // Capture ids carry their day, so only the recent days' folders need reading.
        for (var day = 0; day <= Settings.LookbackDays; day++)
        {
            var date = now.UtcDateTime.Date.AddDays(-day);
            await foreach (var item in store.ListAsync($"captures/{date:yyyy}/{date:MM}/{date:dd}/", cancellationToken))
            {
                if (!item.Key.EndsWith("/manifest.json", StringComparison.Ordinal) || now - item.LastModified < Settings.PendingDeadline)
                {
                    continue;
                }

                var manifest = await manifests.ReadAsync(item.Key.Split('/')[^2], cancellationToken);
                if (manifest is null || manifest.Status.IsTerminal() || now - LastTouched(manifest) < Settings.PendingDeadline)
                {
                    continue;
                }

                // Even a pending capture may have run: its dispatch was never recorded (the instance died, the answer
                // was lost). Its result, not a second capture, settles it.
                if (await FinishFromResultAsync(manifest, cancellationToken) is { } finishedFromStore)
                {
                    finalised += finishedFromStore ? 1 : 0;
                    continue;
                }

                if (manifest.Status != CaptureStatus.Pending)
                {
                    finalised += await FailPastDeadlineAsync(manifest, now, cancellationToken) ? 1 : 0;
                    continue;
                }

                if (await ClaimAsync(manifest, now, cancellationToken) is not { } claimed)
                {
                    continue;
                }

                if (claimed.DispatchAttempts > Settings.MaxDispatchAttempts)
                {
                    await finisher.FailAsync(claimed.Id, $"never reached the collector: still pending after {Settings.MaxDispatchAttempts} dispatch attempts", cancellationToken);
                    gaveUp++;
                    continue;
                }

                logger.LogWarning("Capture {CaptureId} was still pending at {Age:c}; dispatching again (attempt {Attempt} of {Max})", claimed.Id, now - manifest.CreatedAt, claimed.DispatchAttempts, Settings.MaxDispatchAttempts);
                await dispatcher.DispatchAsync(claimed.Id, cancellationToken);
                redispatched++;
            }
        }

        return (redispatched, gaveUp, finalised);
    }

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
