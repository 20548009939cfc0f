using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Limits;

/// <summary>What the limits allow for one capture: the kinds it may take, or why it may take none.</summary>
public sealed record LimitDecision(IReadOnlyList<CaptureSpec> Allowed, IReadOnlyList<string> Notes, string? SkipReason)
{
    public bool Skipped => SkipReason is not null;

    /// <summary>The limit that skipped the capture: cooldown, storm, budget, in-flight or undecided.</summary>
    public string? RefusedBy { get; init; }
}

/// <summary>
/// The capture limits, applied in a fixed order so concurrent decisions never wait on each other in a cycle:
/// per-target cooldown (per kind), storm sampling (distinct targets per alert group), the rule's budget over a
/// sliding window, and the global cap on captures in flight. All state is in the store under <c>state/limits/</c>.
/// </summary>
public sealed class CaptureLimits(StoreLimiter limiter, IOptions<AutoCaptureOptions> options, TimeProvider clock, ILogger<CaptureLimits> logger)
{
    private const int MaxRounds = 200;
    public const string Prefix = "state/limits/";

    public async Task<LimitDecision> DecideAsync(PlannedCapture capture, CancellationToken cancellationToken)
    {
        for (var round = 0; round < MaxRounds; round++)
        {
            var decision = await TryDecideAsync(capture, cancellationToken);
            if (decision is not null)
            {
                return decision;
            }

            // Another capture holds a pending reservation that decides ours; give it time to commit or release.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(2, 10 + Math.Min(round, 40) * 5)), clock, cancellationToken);
        }

        return new LimitDecision([], [], "limits undecided: other captures held the same limits for too long; try again") { RefusedBy = "undecided" };
    }

    /// <summary>Frees the capture's in-flight slot once it has finished (or failed) for good.</summary>
    public Task ReleaseInFlightAsync(string captureId, CancellationToken cancellationToken) =>
        limiter.ReleaseAsync(InFlightPolicy(), captureId, clock.GetUtcNow(), cancellationToken);

    private async Task<LimitDecision?> TryDecideAsync(PlannedCapture capture, CancellationToken cancellationToken)
    {
        var limits = options.Value.Limits;
        var rule = capture.Rule;
        var now = clock.GetUtcNow();
        var id = capture.CaptureId;
        var held = new List<LimitPolicy>();
        var allowed = new List<CaptureSpec>();
        var notes = new List<string>();

        var cooldown = rule.Cooldown ?? limits.Cooldown;
        foreach (var spec in capture.Specs)
        {
            var incidentCooldown = CooldownPolicy(capture.Target, spec.Kind, baseline: false);
            if (capture.Baseline is not null && await limiter.FindHolderAsync(incidentCooldown, now, cancellationToken) is { } incident)
            {
                notes.Add($"{spec.Kind} skipped: {capture.Target} was captured for an alert at {incident.At:yyyy-MM-dd HH:mm:ss}Z (capture {incident.CaptureId}); not a healthy moment for a baseline");
                continue;
            }

            // Baselines cool down on their own: a baseline must never keep an alert's capture from happening.
            var policy = capture.Baseline is null ? incidentCooldown : CooldownPolicy(capture.Target, spec.Kind, baseline: true);
            var result = await limiter.TryReserveAsync(policy, id, id, now, now + cooldown, cancellationToken);
            switch (result.Outcome)
            {
                case Admission.Reserved:
                    held.Add(policy);
                    allowed.Add(spec);
                    break;
                case Admission.Refused:
                    var holder = result.Holders[0];
                    notes.Add($"{spec.Kind} skipped: cooldown on {capture.Target} until {holder.Until:yyyy-MM-dd HH:mm:ss}Z (after capture {holder.CaptureId})");
                    break;
                default:
                    return await ReleaseAsync(held, id, now, cancellationToken);
            }
        }

        if (allowed.Count == 0)
        {
            return new LimitDecision([], notes, string.Join("; ", notes)) { RefusedBy = "cooldown" };
        }

        var group = capture.Alert.GroupKey ?? capture.Alert.Name;
        var stormTargets = rule.StormTargets ?? limits.StormTargets;
        var storm = new LimitPolicy($"{Prefix}storm/{Hash($"{rule.Name}\n{group}")}.json", stormTargets, DistinctKeys: true);
        var budgetCount = rule.Budget ?? limits.RuleBudget;
        var budgetWindow = rule.BudgetWindow ?? limits.RuleBudgetWindow;
        var budget = new LimitPolicy($"{Prefix}budget/{Hash(rule.Name)}.json", budgetCount);
        var steps = new (string Name, LimitPolicy Policy, string Key, DateTimeOffset Until, Func<AdmissionResult, string> Refusal)[]
        {
            ("storm", storm, TargetKey(capture.Target), now + limits.StormWindow,
                r => $"storm: rule {rule.Name} already captures {stormTargets} targets of this alert group ({string.Join(", ", r.Holders.Select(h => h.Key).Distinct().Take(5))}); the rest are sampled out"),
            ("budget", budget, id, now + budgetWindow,
                r => $"budget exhausted: rule {rule.Name} allows {budgetCount} captures per {budgetWindow}; next allowed at {r.Holders.Min(h => h.Until):yyyy-MM-dd HH:mm:ss}Z"),
            ("in-flight", InFlightPolicy(), id, now + limits.InFlightTimeout,
                _ => $"in-flight cap: {limits.MaxInFlight} captures are already running"),
        };
        foreach (var (name, policy, key, until, refusal) in steps)
        {
            var result = await limiter.TryReserveAsync(policy, id, key, now, until, cancellationToken);
            if (result.Outcome == Admission.Busy)
            {
                return await ReleaseAsync(held, id, now, cancellationToken);
            }

            if (result.Outcome == Admission.Refused)
            {
                await ReleaseAsync(held, id, now, cancellationToken);
                var reason = refusal(result);
                logger.LogInformation("Capture {CaptureId} skipped: {Reason}", id, reason);
                return new LimitDecision([], notes, string.Join("; ", notes.Append(reason))) { RefusedBy = name };
            }

            held.Add(policy);
        }

        foreach (var policy in held)
        {
            if (!await limiter.CommitAsync(policy, id, clock.GetUtcNow(), cancellationToken))
            {
                // A reservation expired while the others were being taken; those already committed are given back too.
                logger.LogWarning("Capture {CaptureId}: a limit reservation expired before it was committed; deciding again", id);
                return await ReleaseAsync(held, id, now, cancellationToken);
            }
        }

        return new LimitDecision(allowed, notes, null);
    }

    private async Task<LimitDecision?> ReleaseAsync(List<LimitPolicy> held, string captureId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var policy in held)
        {
            await limiter.ReleaseAsync(policy, captureId, now, cancellationToken);
        }

        return null;
    }

    private static LimitPolicy CooldownPolicy(CaptureTarget target, string kind, bool baseline) =>
        new($"{Prefix}cooldown/{Hash($"{target.Host}\n{target.Process.Runtime}\n{target.Process}\n{kind}{(baseline ? "\nbaseline" : string.Empty)}")}.json", 1);

    private LimitPolicy InFlightPolicy() => new($"{Prefix}inflight.json", options.Value.Limits.MaxInFlight);

    private static string TargetKey(CaptureTarget target) => $"{target.Process} on {target.Host}";

    private static string Hash(string identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 16);
}
