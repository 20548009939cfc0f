using System.Collections.Concurrent;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Each alert instance starts at most one capture per rule. The capture id is derived from the alert instance,
/// so creating its manifest with create-if-absent is the dedup decision: exactly one delivery wins, on any
/// number of instances, and the manifest exists (pending) before anything else happens.
/// </summary>
public sealed class DedupStage(ManifestStore manifests, KnownCaptures known, TimeProvider clock, ILogger<DedupStage> logger) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var capture in context.Proceeding.ToList())
        {
            if (known.Contains(capture.CaptureId))
            {
                capture.MarkDuplicate($"duplicate of capture {capture.CaptureId}");
                continue;
            }

            var now = clock.GetUtcNow();
            var manifest = new CaptureManifest
            {
                Id = capture.CaptureId,
                Status = CaptureStatus.Pending,
                Alert = capture.Alert,
                Rule = capture.Rule.Name,
                Target = capture.Target,
                Captures = [.. capture.Specs],
                Chat = capture.Rule.Chat,
                Baseline = capture.Baseline,
                // A baseline is reported inside its incident's message (as the diff), never on its own.
                Quiet = capture.Baseline is not null,
                CreatedAt = now,
                UpdatedAt = now,
            };
            var written = await manifests.WriteAsync(manifest, WriteCondition.IfAbsent, cancellationToken);
            known.Add(capture.CaptureId);
            if (written.Written)
            {
                capture.Manifest = manifest;
                capture.ManifestETag = written.ETag;
                logger.LogInformation("Capture {CaptureId} accepted for alert {Alert} ({Fingerprint}) under rule {Rule}: {Target}", capture.CaptureId, capture.Alert.Name, capture.Alert.Fingerprint, capture.Rule.Name, capture.Target);
            }
            else
            {
                capture.MarkDuplicate($"duplicate of capture {capture.CaptureId}");
                logger.LogInformation("Capture {CaptureId} not started again: alert {Alert} ({Fingerprint}) was already handled", capture.CaptureId, capture.Alert.Name, capture.Alert.Fingerprint);
            }
        }
    }
}

/// <summary>
/// Capture ids this instance has seen exist in the store. A manifest, once created, stays, so remembering that
/// it exists saves a store round trip for every repeat Alertmanager sends; absence is always asked of the store.
/// </summary>
public sealed class KnownCaptures
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public bool Contains(string captureId) => _ids.ContainsKey(captureId);

    public void Add(string captureId)
    {
        if (_ids.Count >= Capacity)
        {
            _ids.Clear();
        }

        _ids.TryAdd(captureId, 0);
    }
}
