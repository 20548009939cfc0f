using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Limits;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Maintenance;

public sealed record HousekeepingReport(int Redispatched, int GaveUp, int LimitStatesRemoved)
{
    public override string ToString() => $"{Redispatched} captures re-dispatched, {GaveUp} given up, {LimitStatesRemoved} expired rate-limit documents removed";
}

/// <summary>
/// Periodic clean-up that keeps the store honest when an instance died mid-way: captures whose manifest is
/// still <c>pending</c> past a deadline are dispatched again (a bounded number of times, then failed and
/// reported), and rate-limit state has its expired reservations pruned, documents left empty being deleted.
/// Safe to run on many instances at once: each re-dispatch is claimed with compare-and-swap, and an empty
/// limit document is deleted only if it is still the version read (a reservation added meanwhile keeps it). Runs from
/// <see cref="HousekeepingService"/> standalone, or from the timer function under Azure Functions.
/// </summary>
public sealed class Housekeeping(
    IArtifactStore store,
    ManifestStore manifests,
    StoreLimiter limiter,
    DispatchWorker dispatcher,
    ChatDispatcher chat,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<Housekeeping> logger)
{
    private HousekeepingOptions Settings => options.Value.Housekeeping;

    public async Task<HousekeepingReport> RunAsync(CancellationToken cancellationToken)
    {
        var (redispatched, gaveUp) = await RedispatchStuckAsync(cancellationToken);
        var expired = await ExpireLimitStateAsync(cancellationToken);
        var report = new HousekeepingReport(redispatched, gaveUp, expired);
        logger.LogInformation("Housekeeping: {Report}", report);
        return report;
    }

    private async Task<(int Redispatched, int GaveUp)> RedispatchStuckAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var redispatched = 0;
        var gaveUp = 0;
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
                if (manifest is not { Status: CaptureStatus.Pending } || now - LastTouched(manifest) < Settings.PendingDeadline)
                {
                    continue;
                }

                if (await ClaimAsync(manifest, now, cancellationToken) is not { } claimed)
                {
                    continue;
                }

                if (claimed.DispatchAttempts > Settings.MaxDispatchAttempts)
                {
                    await GiveUpAsync(claimed, now, cancellationToken);
                    gaveUp++;
                    continue;
                }

                logger.LogWarning("Capture {CaptureId} was still pending at {Age:c}; dispatching again (attempt {Attempt} of {Max})", claimed.Id, now - manifest.CreatedAt, claimed.DispatchAttempts, Settings.MaxDispatchAttempts);
                await dispatcher.DispatchAsync(claimed.Id, cancellationToken);
                redispatched++;
            }
        }

        return (redispatched, gaveUp);
    }

    private static DateTimeOffset LastTouched(CaptureManifest manifest) => manifest.UpdatedAt > manifest.CreatedAt ? manifest.UpdatedAt : manifest.CreatedAt;

    /// <summary>Counts the attempt before making it, so a dispatch that keeps dying is still bounded; only one instance wins the claim.</summary>
    private Task<CaptureManifest?> ClaimAsync(CaptureManifest seen, DateTimeOffset now, CancellationToken cancellationToken) =>
        manifests.UpdateAsync(seen.Id, current => current.Status == CaptureStatus.Pending && current.UpdatedAt == seen.UpdatedAt && current.DispatchAttempts == seen.DispatchAttempts
            ? current with { DispatchAttempts = current.DispatchAttempts + 1, UpdatedAt = now }
            : null, cancellationToken);

    private async Task GiveUpAsync(CaptureManifest claimed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var failed = await manifests.UpdateAsync(claimed.Id, m => m.Status != CaptureStatus.Pending ? null : m with
        {
            Status = CaptureStatus.Failed,
            Error = $"never reached the collector: still pending after {Settings.MaxDispatchAttempts} dispatch attempts",
            UpdatedAt = now,
            CompletedAt = now,
        }, cancellationToken);
        if (failed is not null)
        {
            logger.LogWarning("Capture {CaptureId} failed: {Reason}", failed.Id, failed.Error);
            await chat.NotifyAsync(failed, cancellationToken);
        }
    }

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
