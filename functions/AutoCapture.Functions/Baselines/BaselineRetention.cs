using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// Keeps the baselines that captures will be compared with from ageing out. Retention deletes captures by age (the
/// storage account's lifecycle rule counts days since an object last changed); a baseline stays the newest of its
/// rule, target and kind for as long as no newer one completes — after a schedule is removed or keeps failing, for
/// good. So once a day housekeeping renews every object of each baseline a pointer names (setting metadata counts as
/// a change), and those baselines outlive the rule. A diff already made is kept with its capture (diff.json).
/// </summary>
public sealed class BaselineRetention(IArtifactStore store, BaselinePointers pointers, TimeProvider clock)
{
    public const string KeptMetadata = "autocapture_kept";
    public static readonly TimeSpan RenewEvery = TimeSpan.FromDays(1);

    /// <returns>How many objects were renewed.</returns>
    public async Task<int> KeepAsync(CancellationToken cancellationToken)
    {
        if (store is not IObjectMetadata metadata)
        {
            return 0;
        }

        var now = clock.GetUtcNow();
        var renewed = 0;
        var baselines = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var pointer in pointers.ListAsync(cancellationToken))
        {
            if (!baselines.Add(pointer.CaptureId) || !CaptureIds.IsValid(pointer.CaptureId))
            {
                continue;
            }

            await foreach (var item in store.ListAsync(CaptureIds.Prefix(pointer.CaptureId), cancellationToken))
            {
                var current = await metadata.GetMetadataAsync(item.Key, cancellationToken);
                if (current is null || now - LastRenewed(item, current) < RenewEvery)
                {
                    continue;
                }

                var updated = new Dictionary<string, string>(current, StringComparer.Ordinal) { [KeptMetadata] = now.ToString("O", CultureInfo.InvariantCulture) };
                renewed += await metadata.SetMetadataAsync(item.Key, updated, cancellationToken) ? 1 : 0;
            }
        }

        return renewed;
    }

    // A store whose listing does not move with metadata (the folder store) still renews once a day, not every run.
    private static DateTimeOffset LastRenewed(StoreItem item, IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(KeptMetadata, out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var kept) && kept > item.LastModified
            ? kept
            : item.LastModified;
}
