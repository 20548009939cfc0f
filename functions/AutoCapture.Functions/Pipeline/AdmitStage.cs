using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Hosting;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Lets the delivery's planned captures in through <see cref="CaptureAdmission"/> — dedup and every limit, decided for
/// the whole delivery at once — and writes the delivery's one log line: what started, what was a duplicate, and what
/// was skipped by which limit. The same decisions are counted in <see cref="WebhookMetrics.AlertCaptures"/>.
/// </summary>
public sealed class AdmitStage(CaptureAdmission admission, ILogger<AdmitStage> logger) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        await admission.AdmitAsync(context.Captures, cancellationToken);
        foreach (var capture in context.Captures)
        {
            WebhookMetrics.Decided(capture);
        }

        var started = new List<string>();
        var duplicates = 0;
        var skippedBy = new SortedDictionary<SkipCause, int>();
        foreach (var capture in context.Captures)
        {
            switch (capture.Decision)
            {
                case CaptureDecision.Started:
                    started.Add(capture.CaptureId);
                    break;
                case CaptureDecision.Duplicate:
                    duplicates++;
                    break;
                case CaptureDecision.Skipped when capture.SkippedBy is { } cause:
                    skippedBy[cause] = skippedBy.GetValueOrDefault(cause) + 1;
                    break;
            }
        }

        logger.LogInformation(
            "Delivery from {Source}: {Alerts} alerts, {Planned} captures planned: {Started} started, {Duplicates} duplicates, skipped by {Skipped}; started {CaptureIds}",
            context.Source,
            context.Alerts.Count,
            context.Captures.Count,
            started.Count,
            duplicates,
            skippedBy.Count == 0 ? "none" : string.Join(", ", skippedBy.Select(s => $"{s.Key.ToString().ToLowerInvariant()} {s.Value}")),
            started);
    }
}
