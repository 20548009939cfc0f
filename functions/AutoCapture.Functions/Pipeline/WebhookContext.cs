using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Admission;

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

    /// <summary>The rules the delivery was routed by.</summary>
    public Rules.RuleSet? Rules { get; set; }

    /// <summary>Set when rule matching ran out of its budget: some alerts were answered without being matched.</summary>
    public bool MatchBudgetSpent { get; set; }

    /// <summary>The body's SHA-256 (its first 128 bits), once read; what <see cref="RepeatAnswers"/> knows it by.</summary>
    public UInt128 BodyHash { get; set; }

    /// <summary>
    /// The answer's JSON when <see cref="RepeatAnswers"/> keeps it, written as it is. Set before the stages run when an
    /// earlier delivery of the same body already decided it: no stage runs then.
    /// </summary>
    public byte[]? AnswerJson { get; set; }
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
