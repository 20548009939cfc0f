using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// Starts baselines the way alert captures start: through <see cref="CaptureAdmission"/> (a capture id each slot or
/// incident makes once, the same limits), then the dispatcher.
/// </summary>
public sealed class BaselineStarter(RouteStage route, CaptureAdmission admission, DispatchQueue dispatch, ILogger<BaselineStarter> logger)
{
    /// <summary>Decides and starts each capture; afterwards each says whether it started, was a duplicate or was skipped.</summary>
    public async Task StartAsync(IReadOnlyList<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        foreach (var capture in captures)
        {
            // Targets from the rules file, not from alert labels, but the collector allowlist holds for every request.
            if (!route.IsAllowed(capture.Target, out var error))
            {
                logger.LogWarning("Capture {CaptureId}: baseline of rule {Rule} refused: {Reason}", capture.CaptureId, capture.Rule.Name, error);
                capture.Skip(SkipCause.CollectorNotAllowed, error);
            }
        }

        await admission.AdmitAsync(captures, cancellationToken);
        await dispatch.EnqueueStartedAsync(captures, cancellationToken);
    }
}
