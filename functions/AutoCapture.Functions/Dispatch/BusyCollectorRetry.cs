using AutoCapture.Core.Captures;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Dispatch;

/// <summary>
/// When a capture is asked for again after its collector answered busy (409): busy means another capture of that
/// process (or the host's trace cap) is running, which ends soon, so the answer is transient. A scheduled baseline is
/// asked for until its slot can no longer be taken (<see cref="BaselineSchedule.CatchUp"/>): its id is the slot's, so
/// one given up is that slot's baseline lost. Any other capture is asked for within
/// <see cref="CollectorClientOptions.BusyRetryWindow"/> of its creation, while it still tells of the alert.
/// </summary>
public sealed class BusyCollectorRetry(CurrentRules rules, IOptions<AutoCaptureOptions> options)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromMinutes(1);

    public DateTimeOffset Deadline(CaptureManifest manifest) =>
        manifest.Baseline?.Trigger == BaselineMark.Schedule
        && rules.Value.Rules.FirstOrDefault(r => r.Name == manifest.Rule)?.Baseline?.Schedule is { } schedule
            ? manifest.Alert.StartsAt + schedule.CatchUp
            : manifest.CreatedAt + options.Value.Collector.BusyRetryWindow;

    /// <summary>
    /// How long to wait after <paramref name="busyAnswers"/> busy answers: doubling from 2 s up to a minute, and at
    /// most half housekeeping's pending deadline (each answer touches the manifest, so housekeeping never dispatches
    /// a capture that is waiting here a second time); the last wait ends at the deadline. Null once it has passed.
    /// </summary>
    public TimeSpan? Delay(int busyAnswers, DateTimeOffset now, DateTimeOffset deadline)
    {
        if (now >= deadline)
        {
            return null;
        }

        var longest = Min(LongestDelay, options.Value.Housekeeping.PendingDeadline / 2);
        return Min(Min(FirstDelay * Math.Pow(2, Math.Clamp(busyAnswers - 1, 0, 10)), longest), deadline - now);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
