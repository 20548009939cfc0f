using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Admission;

public enum CaptureDecision
{
    Proceeding,
    Started,
    Duplicate,
    Skipped,
}

/// <summary>Why a capture was skipped: the limit that refused it, or what kept it from being decided.</summary>
public enum SkipCause
{
    Cooldown,
    Storm,
    Budget,
    InFlight,

    /// <summary>Other captures held the same limits for too long; the sender's next repeat decides it.</summary>
    Undecided,

    /// <summary>The target's collector is not one of AutoCapture:Collector:AllowedCollectors.</summary>
    CollectorNotAllowed,
}

/// <summary>A capture a rule asked for, and what admission decided about it.</summary>
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

    public SkipCause? SkippedBy { get; private set; }

    public string? Reason { get; private set; }

    /// <summary>The manifest admission created for it (started or skipped), with its ETag for later compare-and-swap.</summary>
    public CaptureManifest? Manifest { get; set; }

    public string? ManifestETag { get; set; }

    /// <summary>Set when the decision came from this instance's memory of an earlier one: until when it stands.</summary>
    public DateTimeOffset? RememberedUntil { get; private set; }

    public void Skip(SkipCause cause, string reason, DateTimeOffset? rememberedUntil = null)
    {
        Decision = CaptureDecision.Skipped;
        SkippedBy = cause;
        Reason = reason;
        RememberedUntil = rememberedUntil;
    }

    public void MarkDuplicate(DateTimeOffset? rememberedUntil = null)
    {
        Decision = CaptureDecision.Duplicate;
        Reason = $"duplicate of capture {CaptureId}";
        RememberedUntil = rememberedUntil;
    }

    public void MarkStarted() => Decision = CaptureDecision.Started;
}
