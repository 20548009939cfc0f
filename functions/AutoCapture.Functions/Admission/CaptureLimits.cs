using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Limits;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Admission;

/// <summary>
/// The capture limits and where each is kept: per-target cooldown (per kind), storm sampling (distinct targets per
/// alert group), the rule's budget over a sliding window, and the global cap on captures in flight. All state is in the
/// store under <c>state/limits/</c>; <see cref="CaptureAdmission"/> applies them in that order. A target is the
/// collector and process selector a capture goes to, never a label that only names it for display.
/// </summary>
public sealed class CaptureLimits(StoreLimiter limiter, IOptions<AutoCaptureOptions> options, TimeProvider clock)
{
    public const string Prefix = "state/limits/";

    /// <summary>An in-flight slot is held until the capture ends (housekeeping ends every capture), never by time alone.</summary>
    private static readonly DateTimeOffset HeldUntilReleased = DateTimeOffset.MaxValue;

    private LimitOptions Settings => options.Value.Limits;

    public LimitPolicy Cooldown(CaptureTarget target, string kind, bool baseline) =>
        Named(_cooldowns, (Collector: target.Collector, Process: target.Process, Kind: kind, Baseline: baseline), static key =>
            new($"{Prefix}cooldown/{Hash($"{key.Collector}\n{key.Process.Runtime}\n{key.Process}\n{key.Kind}{(key.Baseline ? "\nbaseline" : string.Empty)}")}.json", 1));

    public LimitPolicy Storm(PlannedCapture capture) =>
        Named(_storms, (Rule: capture.Rule.Name, Group: capture.Alert.GroupKey ?? capture.Alert.Name, Targets: StormTargets(capture)), static key =>
            new($"{Prefix}storm/{Hash($"{key.Rule}\n{key.Group}")}.json", key.Targets, DistinctKeys: true));

    public LimitPolicy Budget(PlannedCapture capture) =>
        Named(_budgets, (Rule: capture.Rule.Name, Capacity: capture.Rule.Budget ?? Settings.RuleBudget), static key =>
            new($"{Prefix}budget/{Hash(key.Rule)}.json", key.Capacity));

    public LimitPolicy InFlight() => new($"{Prefix}inflight.json", Settings.MaxInFlight);

    /// <summary>The documents every capture's decision reads, whatever its target's cooldown says.</summary>
    public IEnumerable<LimitPolicy> SharedPolicies(PlannedCapture capture) => [Storm(capture), Budget(capture), InFlight()];

    /// <summary>The storm limit's key: the real target, so labels that only change how it is shown make no new target.</summary>
    public static string TargetKey(CaptureTarget target)
    {
        if (!Authorities.TryGetValue(target.Collector, out var authority))
        {
            if (Authorities.Count >= MaxNamed)
            {
                Authorities.Clear();
            }

            authority = Authorities[target.Collector] = new Uri(target.Collector).Authority;
        }

        return $"{target.Process} at {authority}";
    }

    public DateTimeOffset CooldownUntil(PlannedCapture capture, DateTimeOffset now) => now + (capture.Rule.Cooldown ?? Settings.Cooldown);

    public DateTimeOffset StormUntil(DateTimeOffset now) => now + Settings.StormWindow;

    public DateTimeOffset BudgetUntil(PlannedCapture capture, DateTimeOffset now) => now + (capture.Rule.BudgetWindow ?? Settings.RuleBudgetWindow);

    public static DateTimeOffset InFlightUntil => HeldUntilReleased;

    public string CooldownRefusal(PlannedCapture capture, string kind, LimitEntry holder) =>
        $"{kind} skipped: cooldown on {capture.Target} until {holder.Until:yyyy-MM-dd HH:mm:ss}Z (after capture {holder.CaptureId})";

    public static string IncidentRefusal(PlannedCapture capture, string kind, LimitEntry incident) =>
        $"{kind} skipped: {capture.Target} was captured for an alert at {incident.At:yyyy-MM-dd HH:mm:ss}Z (capture {incident.CaptureId}); not a healthy moment for a baseline";

    public string StormRefusal(PlannedCapture capture, IReadOnlyList<LimitEntry> holders) =>
        $"storm: rule {capture.Rule.Name} already captures {StormTargets(capture)} targets of this alert group ({string.Join(", ", holders.Select(h => h.Key).Distinct().Take(5))}); the rest are sampled out";

    public string BudgetRefusal(PlannedCapture capture, IReadOnlyList<LimitEntry> holders) =>
        $"budget exhausted: rule {capture.Rule.Name} allows {capture.Rule.Budget ?? Settings.RuleBudget} captures per {capture.Rule.BudgetWindow ?? Settings.RuleBudgetWindow}; next allowed at {holders.Min(h => h.Until):yyyy-MM-dd HH:mm:ss}Z";

    public string InFlightRefusal() => $"in-flight cap: {Settings.MaxInFlight} captures are already running";

    /// <summary>Frees the capture's in-flight slot once it has ended for good (and chat has heard of it).</summary>
    public Task ReleaseInFlightAsync(string captureId, CancellationToken cancellationToken) =>
        limiter.ReleaseAsync(InFlight(), e => e.CaptureId == captureId, clock.GetUtcNow(), cancellationToken);

    private int StormTargets(PlannedCapture capture) => capture.Rule.StormTargets ?? Settings.StormTargets;

    // Every decision names the same few documents again and again (one per rule, group and target), for every alert
    // of a delivery: each is named and hashed once. Cleared when an instance has seen very many, which only costs hashing again.
    private const int MaxNamed = 100_000;
    private readonly ConcurrentDictionary<(string Collector, ProcessSelector Process, string Kind, bool Baseline), LimitPolicy> _cooldowns = new();
    private readonly ConcurrentDictionary<(string Rule, string Group, int Targets), LimitPolicy> _storms = new();
    private readonly ConcurrentDictionary<(string Rule, int Capacity), LimitPolicy> _budgets = new();

    private static readonly ConcurrentDictionary<string, string> Authorities = new(StringComparer.Ordinal);

    private int _namedCount;

    private LimitPolicy Named<TKey>(ConcurrentDictionary<TKey, LimitPolicy> named, TKey key, Func<TKey, LimitPolicy> name)
        where TKey : notnull
    {
        if (named.TryGetValue(key, out var policy))
        {
            return policy;
        }

        // Counted apart: ConcurrentDictionary.Count takes every lock of the dictionary.
        policy = name(key);
        if (named.TryAdd(key, policy) && Interlocked.Increment(ref _namedCount) > MaxNamed)
        {
            Interlocked.Exchange(ref _namedCount, 0);
            _cooldowns.Clear();
            _storms.Clear();
            _budgets.Clear();
        }

        return policy;
    }

    private static string Hash(string identity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 16);
}
