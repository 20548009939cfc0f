using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// Captures someone asked for (the API, the CLI, Slack's "Capture again"): filed under a stand-in alert of source
/// <see cref="Source"/> and rule <see cref="RuleName"/>, and let in by the same admission as alerts and baselines —
/// dedup, cooldown per target and kind (shared with alert captures), the rule budget, the in-flight cap, the audit trail.
/// </summary>
public sealed class OnDemandCaptures(
    BaselineStarter starter,
    RouteStage route,
    CurrentRules rules,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<OnDemandCaptures> logger)
{
    public const string Source = "on-demand";
    public const string RuleName = "on-demand";

    // An on-demand capture names its target outright: this rule is only what admission files it under, never rendered.
    private static readonly TargetTemplate NamedOutright = new(Template.Parse("http://on-demand.invalid"), null, Runtimes.Dotnet, null, null, null);

    /// <summary>
    /// Whether a capture may be sent to this collector: never anywhere alert-driven captures could not go. Within
    /// AutoCapture:Collector:AllowedCollectors when that is set; without it, only to a collector a rule or baseline
    /// names outright (a templated collector could render to anything, which a request must not be able to choose).
    /// </summary>
    public bool IsPermitted(CaptureTarget target, out string error)
    {
        if (!route.IsAllowed(target, out error))
        {
            return false;
        }

        if (options.Value.Collector.AllowedCollectors.Count > 0 || NamedByRules().Contains(target.Collector))
        {
            return true;
        }

        error = $"collector {new Uri(target.Collector).Authority} is not named by any rule and AutoCapture:Collector:AllowedCollectors is empty; captures on demand go only where alert captures can";
        return false;
    }

    private HashSet<string> NamedByRules()
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules.Value.Rules)
        {
            if (rule.Target.Collector.IsConstant && CollectorAddress.TryParse(rule.Target.Collector.Text, out var collector, out _))
            {
                named.Add(collector.Address);
            }

            named.UnionWith(rule.Baseline?.Targets.Select(t => t.Target.Collector) ?? []);
        }

        return named;
    }

    /// <summary>Decides and, when admitted, starts the capture; the returned capture says what was decided and why.</summary>
    /// <param name="instance">
    /// What makes this request itself: requests with the same instance are one capture (the second a duplicate), so
    /// a request replayed, or sent twice, never captures twice.
    /// </param>
    /// <param name="requestedBy">Who asked (kept in the manifest's labels and notes: the audit trail).</param>
    public async Task<PlannedCapture> StartAsync(
        CaptureTarget target, IReadOnlyList<CaptureSpec> specs, string title, string requestedBy, string? reason, string? chat, string instance, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{target.Collector}\n{target.Process.Runtime}\n{target.Process}")), 0, 8);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["collector"] = new Uri(target.Collector).Authority,
            ["process"] = target.Process.ToString(),
            ["requested_by"] = requestedBy,
        };
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reason is not null)
        {
            annotations["reason"] = reason;
        }

        // Each request its own group: storm sampling is about alert storms, which a request is not.
        var alert = new Alert(Source, title, AlertStatus.Firing, labels, annotations, now, null, fingerprint, $"{fingerprint}\n{instance}", GroupKey: $"{Source}/{instance}");
        var rule = new CaptureRule(RuleName, [], NamedOutright, specs, Cooldown: null, chat, Continue: false, Line: 0);
        var capture = new PlannedCapture(alert, rule, CaptureIds.ForAlertInstance(RuleName, alert), target);
        capture.Notes.Add($"captured on demand by {requestedBy}{(reason is null ? string.Empty : $": {reason}")}");

        await starter.StartAsync([capture], cancellationToken);
        WebhookMetrics.Decided(capture);
        logger.LogInformation("Capture {CaptureId}: on demand by {RequestedBy} for {Target}: {Decision}{Reason}", capture.CaptureId, requestedBy, target, capture.Decision.ToString().ToLowerInvariant(), capture.Reason is null ? string.Empty : $" ({capture.Reason})");
        return capture;
    }
}
