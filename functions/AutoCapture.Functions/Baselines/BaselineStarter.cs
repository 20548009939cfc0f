using AutoCapture.Core.Captures;
using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// Starts baselines the way alert captures start — a manifest created if absent (so each one happens once across
/// instances), the same limits, the dispatcher — by running those stages of the webhook pipeline over them.
/// </summary>
public sealed class BaselineStarter(RouteStage route, DedupStage dedup, RateLimitStage rateLimit, DispatchStage dispatch, TimeProvider clock, ILogger<BaselineStarter> logger)
{
    /// <summary>Decides and starts each capture; afterwards each says whether it started, was a duplicate or was skipped.</summary>
    public async Task StartAsync(IReadOnlyList<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        foreach (var capture in captures)
        {
            // Targets from the rules file, not from alert labels, but the collector allowlist holds for every request.
            if (!route.IsAllowed(capture.Target, out var error))
            {
                logger.LogWarning("Capture {CaptureId}: baseline of rule {Rule} refused: {Reason}", capture.CaptureId, capture.Rule.Name, error);
                capture.Skip(error);
            }
        }

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
