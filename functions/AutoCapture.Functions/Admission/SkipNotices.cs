using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Functions.Limits;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Admission;

/// <summary>
/// Which skipped captures chat hears about. A storm-sampled skip never: during a storm that would be one message per
/// pod. A skip by cooldown, budget or in-flight cap is told, but at most once per rule and cause per
/// <see cref="ChatOptions.SkipNoticeInterval"/> — decided in the store like the limits themselves, so it holds across
/// instances. Baselines are never told. Every skip is in the webhook answer and the delivery's log line either way.
/// </summary>
public sealed class SkipNotices(StoreLimiter limiter, IOptions<AutoCaptureOptions> options, TimeProvider clock)
{
    // Until when a notice is known to be told, so a storm of skips reads the notice document once per interval, not
    // once per delivery. A committed notice stays until it expires, so the memory can only be late, never wrong.
    private readonly ConcurrentDictionary<(string Rule, SkipCause Cause), DateTimeOffset> _toldUntil = new();

    /// <summary>The skips of one decision that chat hears of: at most the first per rule and cause.</summary>
    public async Task<IReadOnlySet<PlannedCapture>> PickAsync(IReadOnlyList<PlannedCapture> skipped, CancellationToken cancellationToken)
    {
        var picked = new HashSet<PlannedCapture>();
        var firsts = skipped
            .Where(c => c.SkippedBy is SkipCause.Cooldown or SkipCause.Budget or SkipCause.InFlight && c.Baseline is null)
            .GroupBy(c => (c.Rule.Name, c.SkippedBy))
            .Select(g => g.First());
        foreach (var capture in firsts)
        {
            if (await ShouldTellAsync(capture, cancellationToken))
            {
                picked.Add(capture);
            }
        }

        return picked;
    }

    private async Task<bool> ShouldTellAsync(PlannedCapture capture, CancellationToken cancellationToken)
    {
        var interval = options.Value.Chat.SkipNoticeInterval;
        if (interval == TimeSpan.Zero)
        {
            return true;
        }

        var told = (capture.Rule.Name, capture.SkippedBy!.Value);
        var now = clock.GetUtcNow();
        if (_toldUntil.TryGetValue(told, out var until) && until > now)
        {
            return false;
        }

        var identity = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{capture.Rule.Name}\n{capture.SkippedBy}")), 0, 16);
        var notice = await limiter.ReadAsync(new LimitPolicy($"{CaptureLimits.Prefix}notices/{identity}.json", 1), now, cancellationToken);
        var check = notice.Check(capture.CaptureId);
        if (check.Outcome == LimitOutcome.Refused)
        {
            _toldUntil[told] = check.Holders.Min(h => h.Until);
        }

        if (check.Outcome != LimitOutcome.Fits)
        {
            return false;
        }

        notice.Add(new LimitEntry(capture.CaptureId, capture.CaptureId, now, now + interval, Committed: false));
        if (!await limiter.ReserveAsync(notice, cancellationToken) || !await limiter.CommitAsync(notice, cancellationToken))
        {
            return false;
        }

        _toldUntil[told] = now + interval;
        return true;
    }
}
