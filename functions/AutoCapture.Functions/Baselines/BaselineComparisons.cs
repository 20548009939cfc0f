using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;

namespace AutoCapture.Functions.Baselines;

/// <summary>
/// What happens between a capture finishing and chat hearing of it. A finished baseline becomes the one its rule,
/// target and kinds are compared with, and never goes to chat itself. A complete capture is compared with its
/// baselines — its peer if it has one, else the newest scheduled baseline of each kind — and the diff is written next
/// to its artifacts and onto its manifest, so the chat message leads with it.
/// </summary>
/// <remarks>
/// A capture with a peer waits for the peer: whichever of the two finishes last compares and tells chat. Each writes
/// its own terminal state before reading the other's, so at least one sees both finished; if both do, the
/// compare-and-swap that puts the diff on the manifest picks the one that tells chat.
/// </remarks>
public sealed class BaselineComparisons(
    IArtifactStore store,
    ManifestStore manifests,
    BaselinePointers pointers,
    TimeProvider clock,
    ILogger<BaselineComparisons> logger)
{
    /// <summary>A diff that takes longer is given up (the message goes out without it); it runs on the completion callback.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Records or compares what just finished; returns the captures whose chat message is due now.</summary>
    public async Task<IReadOnlyList<CaptureManifest>> AfterFinishAsync(CaptureManifest finished, CancellationToken cancellationToken)
    {
        if (finished.Baseline is { } mark)
        {
            await AfterBaselineAsync(finished, mark, cancellationToken);
            return mark.ForCapture is { } incidentId && await manifests.ReadAsync(incidentId, cancellationToken) is { Status: CaptureStatus.Complete } incident
                && incident.PeerBaselineId == finished.Id && incident.Diff is null
                ? await CompareAsync(incident, cancellationToken) is { } ready ? [ready] : []
                : [];
        }

        if (finished.Status != CaptureStatus.Complete)
        {
            return [finished];
        }

        if (finished.PeerBaselineId is { } peerId && await manifests.ReadAsync(peerId, cancellationToken) is { } peer && !peer.Status.IsTerminal())
        {
            logger.LogInformation("Capture {CaptureId}: waiting for its peer baseline {PeerId} before comparing and telling chat", finished.Id, peerId);
            return [];
        }

        return await CompareAsync(finished, cancellationToken) is { } compared ? [compared] : [];
    }

    private async Task AfterBaselineAsync(CaptureManifest baseline, BaselineMark mark, CancellationToken cancellationToken)
    {
        if (baseline.Status != CaptureStatus.Complete)
        {
            logger.LogWarning("Capture {CaptureId}: {Trigger} baseline of rule {Rule} for {Target} failed: {Reason}", baseline.Id, mark.Trigger, baseline.Rule, baseline.Target, baseline.Error);
            return;
        }

        if (mark.Trigger == BaselineMark.Schedule)
        {
            await pointers.RecordAsync(baseline, cancellationToken);
            logger.LogInformation("Capture {CaptureId}: now the baseline of rule {Rule} for {Target} ({Kinds})", baseline.Id, baseline.Rule, baseline.Target, string.Join(", ", CaptureDiffer.Succeeded(baseline)));
        }
    }

    /// <summary>Puts the diff on the manifest; returns the manifest to tell chat about, or null when another finisher does.</summary>
    private async Task<CaptureManifest?> CompareAsync(CaptureManifest incident, CancellationToken cancellationToken)
    {
        CaptureDiff? diff;
        IReadOnlyList<ArtifactInfo> artifacts = [];
        try
        {
            using var budget = new CancellationTokenSource(Timeout, clock);
            var baselines = await FindBaselinesAsync(incident, budget.Token);
            if (baselines.Count > 0)
            {
                var writer = new StoreDiffArtifactWriter(store, incident.Id);
                diff = await CaptureDiffer.DiffAsync(new StoreCaptureFiles(store, incident), baselines, writer, budget.Token);
                // diff.json first: it is what people open.
                artifacts = [.. writer.Written.OrderBy(a => diff.Artifacts.ToList().IndexOf(a.Name))];
                logger.LogInformation("Capture {CaptureId}: compared with baseline {BaselineId} ({Basis}): {Headline}", incident.Id, diff.BaselineId, diff.Basis, diff.Headlines.Count > 0 ? diff.Headlines[0] : "no notable change");
            }
            else
            {
                diff = await NothingComparedAsync(incident, cancellationToken);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The capture itself is fine: chat hears of it without a diff rather than not at all.
            logger.LogWarning(e, "Capture {CaptureId}: comparison with its baseline failed: {Reason}", incident.Id, e.Message);
            diff = incident.PeerBaselineId is { } peerId ? Empty(peerId, BaselineMark.Peer, "(unknown)", $"comparison failed: {e.Message}") : null;
        }

        if (diff is null)
        {
            return incident;
        }

        var now = clock.GetUtcNow();
        var trimmed = CaptureDiffer.Trim(diff);
        var written = await manifests.UpdateAsync(incident.Id, m => m.Diff is null
            ? m with { Diff = trimmed, Artifacts = [.. artifacts, .. m.Artifacts.Where(a => artifacts.All(d => d.Name != a.Name))], UpdatedAt = now }
            : null, cancellationToken);
        return written is { NotifiedAt: null } ? written : null;
    }

    /// <summary>The peer (when it completed) first, then the newest scheduled baseline of each kind, newest first.</summary>
    private async Task<IReadOnlyList<DiffBaseline>> FindBaselinesAsync(CaptureManifest incident, CancellationToken cancellationToken)
    {
        var found = new List<(CaptureManifest Manifest, string Basis)>();
        if (incident.PeerBaselineId is { } peerId && await manifests.ReadAsync(peerId, cancellationToken) is { Status: CaptureStatus.Complete } peer)
        {
            found.Add((peer, BaselineMark.Peer));
        }

        var scheduled = new List<CaptureManifest>();
        foreach (var kind in CaptureDiffer.Succeeded(incident))
        {
            if (await pointers.FindAsync(incident.Rule, incident.Target, kind, cancellationToken) is { } pointer
                && pointer.CaptureId != incident.Id
                && found.All(f => f.Manifest.Id != pointer.CaptureId) && scheduled.All(s => s.Id != pointer.CaptureId)
                && await manifests.ReadAsync(pointer.CaptureId, cancellationToken) is { Status: CaptureStatus.Complete } baseline)
            {
                scheduled.Add(baseline);
            }
        }

        found.AddRange(scheduled.OrderByDescending(b => b.CompletedAt).Select(b => (b, BaselineMark.Schedule)));
        return [.. found.Select(f => new DiffBaseline(new StoreCaptureFiles(store, f.Manifest), f.Basis))];
    }

    /// <summary>A capture with a peer always gets a diff section, if only to say why nothing was compared.</summary>
    private async Task<CaptureDiff?> NothingComparedAsync(CaptureManifest incident, CancellationToken cancellationToken)
    {
        if (incident.PeerBaselineId is not { } peerId)
        {
            return null;
        }

        var peer = await manifests.ReadAsync(peerId, cancellationToken);
        var why = peer is null ? "it is not in the store" : $"it ended {peer.Status.ToString().ToLowerInvariant()}{(peer.Error is { } error ? $": {error}" : string.Empty)}";
        return Empty(peerId, BaselineMark.Peer, peer?.Target.ToString() ?? "(unknown)", $"nothing compared: the peer baseline {peerId} did not complete ({why}), and no scheduled baseline exists");
    }

    private static CaptureDiff Empty(string baselineId, string basis, string target, string note) => new()
    {
        BaselineId = baselineId,
        Basis = basis,
        BaselineTarget = target,
        Notes = [note],
    };
}
