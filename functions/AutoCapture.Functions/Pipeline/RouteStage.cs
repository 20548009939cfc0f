using System.Collections.Concurrent;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Matches firing alerts against the rules and fills each matching rule's target from the alert. A collector
/// address outside AutoCapture:Collector:AllowedCollectors is refused here, before anything is signed or sent:
/// alert labels must not be able to point signed requests at arbitrary hosts. Regular-expression matching has a budget
/// per delivery (AutoCapture:Limits:MatchBudget): once spent, the remaining alerts are answered as skipped, so no
/// pattern and label can hold an instance's CPU for long.
/// </summary>
public sealed class RouteStage(CurrentRules rules, IOptions<AutoCaptureOptions> options, TimeProvider clock, ILogger<RouteStage> logger) : IWebhookStage
{
    private readonly IReadOnlyList<AllowedAddress> _allowedCollectors = [.. options.Value.Collector.AllowedCollectors
        .Select(text => AllowedAddress.TryParse(text, out var entry, out _) ? entry : null)
        .OfType<AllowedAddress>()];

    public Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        // One rule set for the whole delivery, even if the rules are reloaded meanwhile.
        context.Rules = rules.Value;
        var budget = options.Value.Limits.MatchBudget;
        var spent = TimeSpan.Zero;
        var overBudget = 0;
        foreach (var alert in context.Alerts)
        {
            if (alert.Status == AlertStatus.Resolved)
            {
                context.AlertNotes[alert] = "resolved alerts never capture";
                continue;
            }

            if (spent >= budget)
            {
                context.AlertNotes[alert] = $"skipped: matching this delivery's alerts against the rules took its whole budget of {budget.TotalSeconds:0.###} s (AutoCapture:Limits:MatchBudget); a rule's regular expression is too slow for these labels";
                overBudget++;
                continue;
            }

            var matching = clock.GetTimestamp();
            var matches = context.Rules.Match(alert).ToList();
            spent += clock.GetElapsedTime(matching);
            if (matches.Count == 0)
            {
                context.AlertNotes[alert] = "no rule matched";
            }

            foreach (var rule in matches)
            {
                var captureId = CaptureIds.ForAlertInstance(rule.Name, alert);
                if (!rule.Target.TryRender(alert, out var target, out var error))
                {
                    logger.LogWarning("Capture {CaptureId} for alert {Alert} under rule {Rule} skipped: cannot resolve the target: {Reason}", captureId, alert.Name, rule.Name, error);
                    context.AlertNotes[alert] = $"rule {rule.Name}: cannot resolve the target: {error}";
                }
                else if (!IsAllowed(target!, out error))
                {
                    logger.LogWarning("Capture {CaptureId} for alert {Alert} under rule {Rule} refused: {Reason}", captureId, alert.Name, rule.Name, error);
                    context.AlertNotes[alert] = $"rule {rule.Name}: {error}";
                }
                else
                {
                    context.Captures.Add(new PlannedCapture(alert, rule, captureId, target!));
                }
            }
        }

        if (overBudget > 0)
        {
            context.MatchBudgetSpent = true;
            logger.LogWarning("Delivery from {Source}: {Skipped} of {Alerts} alerts skipped: rule matching used up its budget of {Budget} (AutoCapture:Limits:MatchBudget)", context.Source, overBudget, context.Alerts.Count, budget);
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether requests may be sent to the target's collector (baselines are checked here too).</summary>
    public bool IsAllowed(CaptureTarget target, out string error)
    {
        // Every alert of a delivery usually names the same few collectors: each is judged once. The verdict depends
        // only on the address and the allow-list, which is fixed for the app's life.
        if (!_verdicts.TryGetValue(target.Collector, out var verdict))
        {
            if (_verdicts.Count >= MaxVerdicts)
            {
                _verdicts.Clear();
            }

            verdict = _verdicts[target.Collector] = Judge(new Uri(target.Collector));
        }

        error = verdict ?? string.Empty;
        return verdict is null;
    }

    private const int MaxVerdicts = 10_000;
    private readonly ConcurrentDictionary<string, string?> _verdicts = new(StringComparer.Ordinal);

    /// <summary>Null when the collector is allowed, else why not.</summary>
    private string? Judge(Uri address)
    {
        if (AllowedAddress.IsLinkLocalOrMetadata(address))
        {
            return _allowedCollectors.Any(entry => entry.Names(address))
                ? null
                : $"collector {address.Authority} is a link-local or cloud metadata address; only an AutoCapture:Collector:AllowedCollectors entry naming it allows it";
        }

        return _allowedCollectors.Count == 0 || _allowedCollectors.Any(entry => entry.Allows(address))
            ? null
            : $"collector {address.Authority} is not in AutoCapture:Collector:AllowedCollectors";
    }
}
