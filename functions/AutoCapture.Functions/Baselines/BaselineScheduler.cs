using AutoCapture.Core.Captures;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// Starts the scheduled baselines that are due (run by housekeeping): for each rule with a schedule, its latest slot,
/// if that slot is recent enough (<see cref="BaselineSchedule.CatchUp"/>), for every listed target. The capture id
/// comes from rule, target and slot, so each slot is captured once however many instances run housekeeping.
/// </summary>
public sealed class BaselineScheduler(CurrentRules rules, BaselineStarter starter, TimeProvider clock, ILogger<BaselineScheduler> logger)
{
    /// <returns>How many baselines started now.</returns>
    public async Task<int> StartDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var planned = new List<PlannedCapture>();
        foreach (var rule in rules.Value.Rules)
        {
            if (rule.Baseline?.Schedule is not { } schedule)
            {
                continue;
            }

            var slot = schedule.LatestSlot(now);
            if (now - slot > schedule.CatchUp)
            {
                continue;
            }

            foreach (var target in rule.Baseline.Targets)
            {
                // Each target its own group: storm sampling is about alert storms, which a schedule is not.
                var alert = target.AlertFor(rule.Name, slot, $"{BaselineMark.Schedule}\n{slot:O}", $"{BaselineMark.Schedule}/{rule.Name}/{target.Target}");
                planned.Add(new PlannedCapture(alert, rule, CaptureIds.ForAlertInstance(rule.Name, alert), target.Target) { Baseline = new BaselineMark(BaselineMark.Schedule) });
            }
        }

        if (planned.Count == 0)
        {
            return 0;
        }

        await starter.StartAsync(planned, cancellationToken);
        foreach (var capture in planned.Where(c => c.Decision != CaptureDecision.Duplicate))
        {
            logger.LogInformation("Capture {CaptureId}: scheduled baseline of rule {Rule} for {Target}: {Decision}{Reason}", capture.CaptureId, capture.Rule.Name, capture.Target, capture.Decision.ToString().ToLowerInvariant(), capture.Reason is null ? string.Empty : $" ({capture.Reason})");
        }

        return planned.Count(c => c.Decision == CaptureDecision.Started);
    }
}
