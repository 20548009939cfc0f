using AutoCapture.Core.Alerts;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Core.Captures;

/// <summary>One kind of capture to take, e.g. cpu for 30 s.</summary>
/// <param name="DumpType">For <c>dump</c> only: one of <see cref="DumpTypes.All"/>; null means <see cref="DumpTypes.Default"/>.</param>
public sealed record CaptureSpec(string Kind, int? DurationSeconds = null, string? DumpType = null);

/// <summary>
/// Which process to capture. Exactly one of <see cref="Pid"/>, <see cref="Name"/>, <see cref="CommandLine"/>
/// (a process on the collector's host) or <see cref="Address"/> (a Go net/http/pprof endpoint, e.g.
/// <c>http://10.1.2.3:6060</c>, that the collector's host can reach) is set.
/// </summary>
public sealed record ProcessSelector(
    string Runtime = Runtimes.Dotnet,
    int? Pid = null,
    string? Name = null,
    string? CommandLine = null,
    string? Address = null)
{
    public override string ToString() =>
        Pid is { } pid ? $"pid={pid}"
        : Name is { } name ? $"name={name}"
        : Address is { } address ? $"address={address}"
        : $"commandLine~{CommandLine}";
}

/// <summary>Where a capture runs: the collector daemon on a host, and the process it picks there.</summary>
public sealed record CaptureTarget(string Collector, string Host, ProcessSelector Process)
{
    public override string ToString() => $"{Process} on {Host}";
}

/// <summary>What the webhook app asks a collector to do (the signed body of POST /v1/captures).</summary>
/// <param name="ProgressUrl">Where the collector reports, signed and best effort, that it is running or uploading.</param>
/// <param name="UploadGrant">
/// With blob storage: a short-lived, create-only SAS URL for the artifacts container, the only credential a
/// collector needs for this capture. Secret: it travels only in the signed body and is never logged.
/// </param>
public sealed record CaptureRequest(
    string CaptureId,
    ProcessSelector Process,
    IReadOnlyList<CaptureSpec> Captures,
    string? CompletionUrl,
    string? ProgressUrl = null,
    Uri? UploadGrant = null)
{
    // The generated ToString would print the grant.
    public override string ToString() =>
        $"CaptureRequest {{ CaptureId = {CaptureId}, Process = {Process}, Captures = {string.Join(", ", Captures.Select(c => c.Kind))}, "
        + $"CompletionUrl = {CompletionUrl}, ProgressUrl = {ProgressUrl}, UploadGrant = {(UploadGrant is null ? "none" : "(secret)")} }}";
}

/// <summary>A collector's progress report (the signed body of POST /api/captures/{id}/progress).</summary>
public sealed record CaptureProgress(string CaptureId, CaptureStatus State);

public sealed record ArtifactInfo(string Name, string Kind, string ContentType, long Size, string Sha256);

/// <summary>The process a collector actually captured, after resolving the selector.</summary>
/// <param name="Address">For targets reached over the network (Go pprof): the normalised base address; Pid is then 0.</param>
public sealed record ResolvedProcess(int Pid, string Name, string? CommandLine, string? Address = null)
{
    // A target found by address is named after it (host:port); saying that name again before the address says nothing.
    public override string ToString() =>
        Address is not { } address ? $"{Name} (pid {Pid})"
        : Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Authority == Name ? AtAddress(address)
        : $"{Name} at {address}";

    public static string AtAddress(string address) => $"the Go process at {address}";
}

public enum KindOutcome
{
    Succeeded,
    Failed,
}

public sealed record KindResult(string Kind, KindOutcome Outcome, string? Error, double Seconds);

/// <summary>
/// What a collector reports back: written to the store as <c>result.json</c> and sent, signed,
/// to the webhook app's completion endpoint. Either is enough to finish the manifest.
/// </summary>
public sealed record CaptureResult(
    string CaptureId,
    bool Succeeded,
    string? Error,
    ResolvedProcess? Process,
    IReadOnlyList<KindResult> Kinds,
    IReadOnlyList<ArtifactInfo> Artifacts,
    CaptureSummary Summary,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt);

/// <summary>
/// Where a capture is: pending (accepted, manifest written) → dispatched (the collector took the request) →
/// running (it is capturing) → uploading (artifacts are going to the store) → complete | failed; or skipped
/// straight from pending. <see cref="CaptureStateMachine"/> says which moves are legal.
/// </summary>
public enum CaptureStatus
{
    Pending,
    Dispatched,
    Running,
    Uploading,
    Complete,
    Failed,
    Skipped,
}

public static class CaptureStatusExtensions
{
    public static bool IsTerminal(this CaptureStatus status) =>
        status is CaptureStatus.Complete or CaptureStatus.Failed or CaptureStatus.Skipped;
}

/// <summary>The record of one capture, from the alert that caused it to the artifacts it produced.</summary>
public sealed record CaptureManifest
{
    public int SchemaVersion { get; init; } = 1;
    public required string Id { get; init; }
    public required CaptureStatus Status { get; init; }
    public required Alert Alert { get; init; }
    public required string Rule { get; init; }
    public required CaptureTarget Target { get; init; }
    public required IReadOnlyList<CaptureSpec> Captures { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? DispatchedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? Chat { get; init; }
    public string? SkipReason { get; init; }

    /// <summary>Kinds dropped from a capture that still ran, and why (e.g. one kind cooling down).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    public string? Error { get; init; }
    public int DispatchAttempts { get; init; }
    public ResolvedProcess? Process { get; init; }
    public IReadOnlyList<KindResult> Kinds { get; init; } = [];
    public IReadOnlyList<ArtifactInfo> Artifacts { get; init; } = [];
    public CaptureSummary? Summary { get; init; }
    public DateTimeOffset? NotifiedAt { get; init; }
    public string? NotifyError { get; init; }

    /// <summary>Final chat messages tried so far; housekeeping re-sends an owed message a bounded number of times.</summary>
    public int NotifyAttempts { get; init; }

    /// <summary>
    /// Since when a final message is being prepared or sent (set when the capture ends or housekeeping claims the
    /// message, cleared when the attempt is recorded), so housekeeping does not send it a second time meanwhile.
    /// </summary>
    public DateTimeOffset? NotifyingSince { get; init; }

    /// <summary>The chat post made when the capture started, which the final message follows up (Slack bot: channel and ts).</summary>
    public ChatPost? ChatPost { get; init; }

    /// <summary>No chat message is owed for this capture (a skip chat is not told about, so a storm cannot flood it).</summary>
    public bool Quiet { get; init; }

    /// <summary>Set on baselines: healthy captures taken to compare incident captures with. Null for incident captures.</summary>
    public BaselineMark? Baseline { get; init; }

    /// <summary>The peer baseline taken alongside this capture; its comparison (and chat message) waits for it.</summary>
    public string? PeerBaselineId { get; init; }

    /// <summary>What changed against the baseline (top entries; the capture's diff.json has the rest).</summary>
    public CaptureDiff? Diff { get; init; }
}

/// <summary>Why a baseline was taken.</summary>
/// <param name="Trigger"><c>schedule</c> (the rule's baseline schedule) or <c>peer</c> (alongside an incident capture of another target).</param>
/// <param name="ForCapture">For a peer baseline: the incident capture it is the baseline of.</param>
public sealed record BaselineMark(string Trigger, string? ForCapture = null)
{
    public const string Schedule = "schedule";
    public const string Peer = "peer";

    /// <summary>The alert source of a baseline: it has no alert of its own.</summary>
    public const string Source = "baseline";
}

/// <summary>A message a chat service accepted, as that service identifies it (Slack: channel id and ts).</summary>
public sealed record ChatPost(string Channel, string MessageId);
