using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Baselines;

/// <summary>The newest scheduled baseline of one rule, target and kind: the capture its alerts' captures are compared with.</summary>
public sealed record BaselinePointer(string Rule, string Target, string Kind, string CaptureId, DateTimeOffset CompletedAt);

/// <summary>
/// One small document per rule, target and kind under <c>state/baselines/</c>, moved forward with compare-and-swap
/// when a newer baseline completes, so every instance finds the same baseline without searching. It also says which
/// baselines retention must keep: the ones pointed to.
/// </summary>
public sealed class BaselinePointers(IArtifactStore store)
{
    public const string Prefix = "state/baselines/";

    /// <summary>Points every kind the baseline captured at it, unless a newer baseline already holds that kind.</summary>
    public async Task RecordAsync(CaptureManifest baseline, CancellationToken cancellationToken)
    {
        var completedAt = baseline.CompletedAt ?? baseline.UpdatedAt;
        foreach (var kind in baseline.Kinds.Where(k => k.Outcome == KindOutcome.Succeeded).Select(k => k.Kind))
        {
            var pointer = new BaselinePointer(baseline.Rule, baseline.Target.ToString(), kind, baseline.Id, completedAt);
            await store.UpdateAsync<BaselinePointer>(
                Key(baseline.Rule, baseline.Target, kind),
                current => current is null || current.CompletedAt < completedAt ? pointer : null,
                cancellationToken);
        }
    }

    public async Task<BaselinePointer?> FindAsync(string rule, CaptureTarget target, string kind, CancellationToken cancellationToken) =>
        (await store.ReadAsync<BaselinePointer>(Key(rule, target, kind), cancellationToken))?.Value;

    public async IAsyncEnumerable<BaselinePointer> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in store.ListAsync(Prefix, cancellationToken))
        {
            if (await store.ReadAsync<BaselinePointer>(item.Key, cancellationToken) is { } pointer)
            {
                yield return pointer.Value;
            }
        }
    }

    // The target as limits see it (host and process, not the collector's address, which may be written differently).
    private static string Key(string rule, CaptureTarget target, string kind)
    {
        var identity = $"{rule}\n{target.Host}\n{target.Process.Runtime}\n{target.Process}";
        return $"{Prefix}{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 16)}/{kind}.json";
    }
}
