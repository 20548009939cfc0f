using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// At start, reports what a previous run of the collector left unfinished: a capture whose result reached the
/// store is reported again (its completion may not have), one without a result is reported failed with the reason.
/// </summary>
public sealed class InterruptedCaptures(
    CaptureJournal journal,
    CaptureStores stores,
    CompletionReporter completions,
    TimeProvider clock,
    ILogger<InterruptedCaptures> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var (request, file, problem) in journal.Leftovers().ToList())
        {
            if (request is null)
            {
                logger.LogWarning("Dropping unreadable journal entry {File}: {Problem}", Path.GetFileName(file), problem);
                File.Delete(file);
                continue;
            }

            try
            {
                await ReportAsync(request, stoppingToken);
                journal.Remove(request.CaptureId);
            }
            catch (StoreException e)
            {
                logger.LogError("Capture {CaptureId}: could not report the interrupted capture yet ({Reason}); will try at the next start", request.CaptureId, e.Message);
            }
        }
    }

    private async Task ReportAsync(CaptureRequest request, CancellationToken cancellationToken)
    {
        var key = CaptureIds.ResultKey(request.CaptureId);
        var store = stores.For(request);
        var now = clock.GetUtcNow();
        var interrupted = new CaptureResult(
            request.CaptureId,
            Succeeded: false,
            Error: "the collector restarted during the capture; it could not be finished",
            Process: null,
            Kinds: [.. request.Captures.Select(c => new KindResult(c.Kind, KindOutcome.Failed, "interrupted by a collector restart", 0))],
            Artifacts: [],
            Summary: new CaptureSummary(),
            StartedAt: now,
            CompletedAt: now);
        // A result already in the store was the previous run's last word; only its delivery may be missing.
        var written = await store.WriteJsonAsync(key, interrupted, WriteCondition.IfAbsent, cancellationToken);
        var result = written.Written ? interrupted : (await store.ReadAsync<CaptureResult>(key, cancellationToken))?.Value ?? interrupted;
        logger.LogWarning("Capture {CaptureId} was interrupted by a collector restart; reporting it {Outcome}", request.CaptureId, result.Succeeded ? "complete (its result was already stored)" : "failed");
        if (request.CompletionUrl is { } url)
        {
            await completions.ReportAsync(url, result, cancellationToken);
        }
    }
}
