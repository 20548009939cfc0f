using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Drops capture kinds whose target is cooling down; a capture left with no kinds is skipped, and the skip is
/// written to its manifest with the reason so it is never silently lost.
/// </summary>
public sealed class RateLimitStage(
    CooldownLimiter cooldowns,
    IArtifactStore store,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<RateLimitStage> logger) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var capture in context.Proceeding.ToList())
        {
            var now = clock.GetUtcNow();
            var cooldown = capture.Rule.Cooldown ?? options.Value.Limits.Cooldown;
            foreach (var spec in capture.Specs.ToList())
            {
                var holder = await cooldowns.TryAcquireAsync(capture.Target, spec.Kind, capture.CaptureId, now, cooldown, cancellationToken);
                if (holder is not null)
                {
                    capture.Specs.Remove(spec);
                    capture.Notes.Add($"{spec.Kind} skipped: cooldown on {capture.Target} until {holder.Until:yyyy-MM-dd HH:mm:ss}Z (after capture {holder.CaptureId})");
                }
            }

            if (capture.Specs.Count == capture.Manifest!.Captures.Count)
            {
                continue;
            }

            foreach (var note in capture.Notes)
            {
                logger.LogInformation("Capture {CaptureId}: {Note}", capture.CaptureId, note);
            }

            var updated = capture.Specs.Count == 0
                ? capture.Manifest with { Status = CaptureStatus.Skipped, SkipReason = string.Join("; ", capture.Notes), Captures = [], UpdatedAt = now, CompletedAt = now }
                : capture.Manifest with { Captures = [.. capture.Specs], Notes = [.. capture.Notes], UpdatedAt = now };
            var written = await store.WriteJsonAsync(CaptureIds.ManifestKey(capture.CaptureId), updated, WriteCondition.IfMatch(capture.ManifestETag!), cancellationToken);
            if (!written.Written)
            {
                throw new InvalidOperationException($"Manifest of capture {capture.CaptureId} changed while it was being rate-limited.");
            }

            capture.Manifest = updated;
            capture.ManifestETag = written.ETag;
            if (capture.Specs.Count == 0)
            {
                capture.Skip(updated.SkipReason!);
            }
        }
    }
}
