namespace AutoCapture.Core.Captures;

/// <summary>
/// The legal moves of a capture. Progress only goes forward; a terminal state is final. Reports may overtake each
/// other (the collector's "running" can arrive before the dispatcher records "dispatched", and a fast capture can
/// finish before either), so a live capture may skip ahead, never back.
/// </summary>
public static class CaptureStateMachine
{
    public static bool CanMove(CaptureStatus from, CaptureStatus to) => (from, to) switch
    {
        (CaptureStatus.Pending, CaptureStatus.Dispatched or CaptureStatus.Running or CaptureStatus.Uploading or CaptureStatus.Skipped) => true,
        (CaptureStatus.Dispatched, CaptureStatus.Running or CaptureStatus.Uploading) => true,
        (CaptureStatus.Running, CaptureStatus.Uploading) => true,
        (_, CaptureStatus.Complete or CaptureStatus.Failed) => !from.IsTerminal(),
        _ => false,
    };
}

public enum TransitionOutcome
{
    Moved,

    /// <summary>The manifest was already in the target state (a repeated report): nothing to do.</summary>
    AlreadyThere,

    /// <summary>The move is not allowed from the state the manifest is in; nothing was written.</summary>
    Illegal,

    Missing,
}

public sealed record Transition(TransitionOutcome Outcome, CaptureManifest? Manifest, CaptureStatus? From)
{
    public bool Moved => Outcome == TransitionOutcome.Moved;
}
