namespace AutoCapture.Core.Summaries;

/// <summary>
/// The short, readable result of a capture, written as <c>summary.json</c> next to its artifacts so chat
/// messages, pages and diffs never re-parse large files. One section per kind captured.
/// </summary>
public sealed record CaptureSummary
{
    public CpuProfileSummary? Cpu { get; init; }
    public ThreadStacksSummary? Stacks { get; init; }
}

/// <param name="Frame">A method (or function) name, fully qualified as the runtime reports it.</param>
/// <param name="Percent">Share of all samples, 0–100.</param>
public sealed record FrameStat(string Frame, long Samples, double Percent);

/// <summary>Where CPU time went: frames ranked by exclusive (self) and inclusive (self + callees) samples.</summary>
public sealed record CpuProfileSummary(
    double DurationSeconds,
    long SampleCount,
    int ThreadCount,
    IReadOnlyList<FrameStat> TopExclusive,
    IReadOnlyList<FrameStat> TopInclusive);

/// <param name="Frames">Innermost frame first.</param>
public sealed record ThreadStack(long ThreadId, IReadOnlyList<string> Frames);

public sealed record ThreadStacksSummary(int ThreadCount, IReadOnlyList<ThreadStack> Threads);
