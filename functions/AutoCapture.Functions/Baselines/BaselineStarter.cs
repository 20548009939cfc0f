using AutoCapture.Core.Captures;
using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// Starts baselines the way alert captures start — a manifest created if absent (so each one happens once across
/// instances), the same limits, the dispatcher — by running those stages of the webhook pipeline over them.
/// </summary>
public sealed class BaselineStarter(DedupStage dedup, RateLimitStage rateLimit, DispatchStage dispatch, TimeProvider clock)
{
    /// <summary>Decides and starts each capture; afterwards each says whether it started, was a duplicate or was skipped.</summary>
    public async Task StartAsync(IReadOnlyList<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        var context = new WebhookContext(
            BaselineMark.Source,
            _ => null,
            _ => null,
            contentType: null,
            _ => Task.FromResult(ReadOnlyMemory<byte>.Empty),
            clock.GetUtcNow());
        context.Captures.AddRange(captures);
        foreach (IWebhookStage stage in new IWebhookStage[] { dedup, rateLimit, dispatch })
        {
            await stage.ExecuteAsync(context, cancellationToken);
        }
    }
}
