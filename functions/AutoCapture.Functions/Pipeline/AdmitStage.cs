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

        var started = context.Captures.Where(c => c.Decision == CaptureDecision.Started).Select(c => c.CaptureId).ToList();
        var skipped = context.Captures.Where(c => c.Decision == CaptureDecision.Skipped)
            .GroupBy(c => c.SkippedBy)
            .Select(g => $"{g.Key.ToString()!.ToLowerInvariant()} {g.Count()}");
        logger.LogInformation(
            "Delivery from {Source}: {Alerts} alerts, {Planned} captures planned: {Started} started, {Duplicates} duplicates, skipped by {Skipped}; started {CaptureIds}",
            context.Source,
            context.Alerts.Count,
            context.Captures.Count,
            started.Count,
            context.Captures.Count(c => c.Decision == CaptureDecision.Duplicate),
            string.Join(", ", skipped.DefaultIfEmpty("none")),
            started);
    }
}
