using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Baselines;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// For rules with <c>baseline: { peer: true }</c>: alongside each capture admission started, captures the same
/// kinds on a listed target that is not the alert's, at the same time, as its baseline. The peer goes through
/// admission like any capture; the capture's manifest names it, and its comparison waits for it.
/// </summary>
public sealed class PeerBaselineStage(BaselineStarter starter, ManifestStore manifests, TimeProvider clock, ILogger<PeerBaselineStage> logger) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var pairs = new List<(PlannedCapture Incident, PlannedCapture Peer)>();
        foreach (var capture in context.Captures.Where(c => c.Decision == CaptureDecision.Started && c.Baseline is null && c.Rule.Baseline is { Peer: true }))
        {
            if (capture.Rule.Baseline!.PeerFor(capture.Target) is not { } peer)
            {
                continue;
            }

            var alert = peer.AlertFor(capture.Rule.Name, capture.Alert.StartsAt, $"{BaselineMark.Peer}\n{capture.CaptureId}", $"{BaselineMark.Peer}/{capture.Alert.GroupKey ?? capture.Alert.Name}");
            var planned = new PlannedCapture(alert, capture.Rule, CaptureIds.ForAlertInstance(capture.Rule.Name, alert), peer.Target)
            {
                Baseline = new BaselineMark(BaselineMark.Peer, capture.CaptureId),
            };
            // The kinds the limits left the capture itself, nothing more.
            planned.Specs.Clear();
            planned.Specs.AddRange(capture.Specs);
            pairs.Add((capture, planned));
        }

        if (pairs.Count == 0)
        {
            return;
        }

        await starter.StartAsync([.. pairs.Select(p => p.Peer)], cancellationToken);
        foreach (var (incident, peer) in pairs)
        {
            var started = peer.Decision == CaptureDecision.Started;
            var note = started ? $"peer baseline {peer.CaptureId} of {peer.Target}" : $"no peer baseline: {peer.Target}: {peer.Reason}";
            logger.LogInformation("Capture {CaptureId}: {Note}", incident.CaptureId, note);
            incident.Notes.Add(note);
            var updated = incident.Manifest! with
            {
                PeerBaselineId = started ? peer.CaptureId : null,
                Notes = [.. incident.Manifest!.Notes, note],
                UpdatedAt = clock.GetUtcNow(),
            };
            var written = await manifests.Store.WriteJsonAsync(CaptureIds.ManifestKey(incident.CaptureId), updated, WriteCondition.IfMatch(incident.ManifestETag!), cancellationToken);
            if (!written.Written)
            {
                throw new InvalidOperationException($"Manifest of capture {incident.CaptureId} changed while its peer baseline was being started.");
            }

            incident.Manifest = updated;
            incident.ManifestETag = written.ETag;
        }
    }
}
