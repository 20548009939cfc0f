using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Applies the capture limits to each accepted capture. Kinds the limits drop are noted; a capture left with no
/// kind is skipped, and the skip and its reason are written to its manifest so nothing is silently lost; chat
/// hears of the skips <see cref="SkipNotices"/> picks.
/// </summary>
public sealed class RateLimitStage(CaptureLimits limits, ManifestStore manifests, SkipNotices notices, ChatOutbox chat, TimeProvider clock, ILogger<RateLimitStage> logger) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var capture in context.Proceeding.ToList())
        {
            var decision = await limits.DecideAsync(capture, cancellationToken);
            capture.Notes.AddRange(decision.Notes);
            capture.Specs.RemoveAll(spec => !decision.Allowed.Contains(spec));
            if (!decision.Skipped && decision.Notes.Count == 0)
            {
                continue;
            }

            foreach (var note in decision.Notes)
            {
                logger.LogInformation("Capture {CaptureId}: {Note}", capture.CaptureId, note);
            }

            var now = clock.GetUtcNow();
            var tell = decision.Skipped && await notices.ShouldTellAsync(capture, decision, cancellationToken);
            var updated = decision.Skipped
                ? capture.Manifest! with { Status = CaptureStatus.Skipped, SkipReason = decision.SkipReason, Captures = [], UpdatedAt = now, CompletedAt = now, Quiet = !tell, NotifyingSince = tell ? now : null }
                : capture.Manifest! with { Captures = [.. capture.Specs], Notes = [.. capture.Notes], UpdatedAt = now };
            var written = await manifests.WriteAsync(updated, WriteCondition.IfMatch(capture.ManifestETag!), cancellationToken);
            if (!written.Written)
            {
                throw new InvalidOperationException($"Manifest of capture {capture.CaptureId} changed while it was being rate-limited.");
            }

            capture.Manifest = updated;
            capture.ManifestETag = written.ETag;
            if (decision.Skipped)
            {
                capture.Skip(decision.SkipReason!);
                if (tell && !chat.Enqueue(capture.CaptureId))
                {
                    logger.LogWarning("Capture {CaptureId}: chat queue full; housekeeping will send the skip message", capture.CaptureId);
                }
            }
        }
    }
}
