using System.Security.Cryptography;
using System.Text;
using AutoCapture.Functions.Limits;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// Which skipped captures chat hears about. A storm-sampled skip never: during a storm that would be one message per
/// pod. A skip by cooldown, budget, in-flight cap (or undecided limits) is told, but at most once per rule and limit
/// per <see cref="ChatOptions.SkipNoticeInterval"/> — decided in the store like the limits themselves, so it holds
/// across instances. Every skip stays on its manifest and in the webhook answer either way.
/// </summary>
public sealed class SkipNotices(StoreLimiter limiter, IOptions<AutoCaptureOptions> options, TimeProvider clock)
{
    public const string QuietLimit = "storm";

    public async Task<bool> ShouldTellAsync(PlannedCapture capture, LimitDecision decision, CancellationToken cancellationToken)
    {
        if (!decision.Skipped || decision.RefusedBy is null or QuietLimit)
        {
            return false;
        }

        var interval = options.Value.Chat.SkipNoticeInterval;
        if (interval == TimeSpan.Zero)
        {
            return true;
        }

        var identity = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{capture.Rule.Name}\n{decision.RefusedBy}")), 0, 16);
        var policy = new LimitPolicy($"{CaptureLimits.Prefix}notices/{identity}.json", 1);
        var now = clock.GetUtcNow();
        var result = await limiter.TryReserveAsync(policy, capture.CaptureId, capture.CaptureId, now, now + interval, cancellationToken);
        if (result.Outcome != Admission.Reserved)
        {
            return false;
        }

        await limiter.CommitAsync(policy, capture.CaptureId, now, cancellationToken);
        return true;
    }
}
