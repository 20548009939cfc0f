using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Pipeline;

/// <summary>Matches firing alerts against the rules and fills each matching rule's target from the alert.</summary>
public sealed class RouteStage(RuleSet rules, ILogger<RouteStage> logger) : IWebhookStage
{
    public Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var alert in context.Alerts)
        {
            if (alert.Status == AlertStatus.Resolved)
            {
                context.AlertNotes[alert] = "resolved alerts never capture";
                continue;
            }

            var matched = false;
            foreach (var rule in rules.Match(alert))
            {
                matched = true;
                var captureId = CaptureIds.ForAlertInstance(rule.Name, alert);
                if (rule.Target.TryRender(alert, out var target, out var error))
                {
                    context.Captures.Add(new PlannedCapture(alert, rule, captureId, target!));
                }
                else
                {
                    logger.LogWarning("Capture {CaptureId} for alert {Alert} under rule {Rule} skipped: cannot resolve the target: {Reason}", captureId, alert.Name, rule.Name, error);
                    context.AlertNotes[alert] = $"rule {rule.Name}: cannot resolve the target: {error}";
                }
            }

            if (!matched)
            {
                context.AlertNotes[alert] = "no rule matched";
            }
        }

        return Task.CompletedTask;
    }
}
