using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Pipeline;

/// <summary>One webhook delivery as it moves through the stages; each stage reads what earlier ones decided.</summary>
public sealed class WebhookContext(
    string source,
    Func<string, string?> header,
    Func<string, string?> query,
    string? contentType,
    Func<CancellationToken, Task<ReadOnlyMemory<byte>>> readBody,
    DateTimeOffset receivedAt)
{
    private ReadOnlyMemory<byte>? _body;

    public string Source { get; } = source;

    public string? ContentType { get; } = contentType;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public string? Header(string name) => header(name);

    public string? Query(string name) => query(name);

    /// <summary>Reads the body once, within the size limit (an oversized body is rejected with 413).</summary>
    public async Task<ReadOnlyMemory<byte>> BodyAsync(CancellationToken cancellationToken) =>
        _body ??= await readBody(cancellationToken);

    public List<Alert> Alerts { get; } = [];

    /// <summary>Why an alert starts no capture at all (resolved, no rule matched).</summary>
    public Dictionary<Alert, string> AlertNotes { get; } = new(ReferenceEqualityComparer.Instance);

    public List<PlannedCapture> Captures { get; } = [];

    public IEnumerable<PlannedCapture> Proceeding => Captures.Where(c => c.Decision == CaptureDecision.Proceeding);
}

public enum CaptureDecision
{
    Proceeding,
    Started,
    Duplicate,
    Skipped,
}

/// <summary>A capture a rule asked for, and what the stages decided about it.</summary>
public sealed class PlannedCapture(Alert alert, CaptureRule rule, string captureId, CaptureTarget target)
{
    public Alert Alert { get; } = alert;

    public CaptureRule Rule { get; } = rule;

    public string CaptureId { get; } = captureId;

    public CaptureTarget Target { get; } = target;

    public List<CaptureSpec> Specs { get; } = [.. rule.Captures];

    public List<string> Notes { get; } = [];

    /// <summary>Set when this capture is a baseline (scheduled, or a peer of an alert's capture), not an incident capture.</summary>
    public BaselineMark? Baseline { get; init; }

    public CaptureDecision Decision { get; private set; } = CaptureDecision.Proceeding;

    public string? Reason { get; private set; }

    /// <summary>The ETag of the manifest this request created; later stages update it with compare-and-swap.</summary>
    public string? ManifestETag { get; set; }

    public CaptureManifest? Manifest { get; set; }

    public void Skip(string reason)
    {
        Decision = CaptureDecision.Skipped;
        Reason = reason;
    }

    public void MarkDuplicate(string reason)
    {
        Decision = CaptureDecision.Duplicate;
        Reason = reason;
    }

    public void MarkStarted() => Decision = CaptureDecision.Started;
}

/// <summary>The request cannot be accepted; the status and message go back to the sender as they are.</summary>
public sealed class WebhookRejectedException : Exception
{
    public WebhookRejectedException(int statusCode, string message) : base(message) => StatusCode = statusCode;

    public WebhookRejectedException() => StatusCode = 400;

    public WebhookRejectedException(string message) : base(message) => StatusCode = 400;

    public WebhookRejectedException(string message, Exception inner) : base(message, inner) => StatusCode = 400;

    public int StatusCode { get; }

    /// <summary>For 429: when the sender may try again.</summary>
    public int? RetryAfterSeconds { get; init; }
}
