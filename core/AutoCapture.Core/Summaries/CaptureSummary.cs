namespace AutoCapture.Core.Summaries;

/// <summary>
/// The short, readable result of a capture, written as <c>summary.json</c> next to its artifacts so chat
/// messages, pages and diffs never re-parse large files. One section per kind captured.
/// </summary>
public sealed record CaptureSummary
{
    public CpuProfileSummary? Cpu { get; init; }
    public ThreadStacksSummary? Stacks { get; init; }
    public HeapSummary? Heap { get; init; }
    public GoroutineSummary? Goroutines { get; init; }
    public RuntimeCountersSummary? Counters { get; init; }
    public DumpSummary? Dump { get; init; }

    /// <summary>Go pprof profiles by capture kind (cpu, heap, allocs, block, mutex, threadcreate, goroutines).</summary>
    public IReadOnlyDictionary<string, PprofSummary>? Profiles { get; init; }

    /// <summary>
    /// Go: packages in the capture's profiles and dumps that are named like the program's but whose files are a
    /// dependency's (see <see cref="GoOwnCode"/>), so findings and diffs read later count them as the collector did.
    /// Null when none were seen, and in summaries written before it: names alone decide.
    /// </summary>
    public IReadOnlyList<string>? GoLibraries { get; init; }

    /// <summary>Go: the main module's path from the binary's build information, when the collector could read it.</summary>
    public string? GoMainModule { get; init; }
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
    IReadOnlyList<FrameStat> TopInclusive)
{
    /// <summary>.NET: threads grouped by where they start, with each group's hottest frames.</summary>
    public IReadOnlyList<ThreadGroupStat>? ThreadGroups { get; init; }

    /// <summary>The application's own functions by the samples they hold with what they call (see <see cref="OwnFrameTally"/>).</summary>
    public IReadOnlyList<OwnFrameStat>? TopOwn { get; init; }

    /// <summary>.NET: locks threads waited for during the capture, by owner, longest total wait first.</summary>
    public IReadOnlyList<LockContention>? Locks { get; init; }

    /// <summary>.NET: where threads off the CPU wait, by their innermost own frame, busiest first.</summary>
    public IReadOnlyList<WaitStat>? Waits { get; init; }

    /// <summary>CPU time the samples stand for (.NET: one millisecond each; Go: the profile's period); null when unknown.</summary>
    public double? OnCpuSeconds { get; init; }

    /// <summary>"2,861 samples on 12 threads over 30 s"; a Go profile has no thread dimension, so it names none.</summary>
    public string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{SampleCount:N0} samples{(ThreadCount > 0 ? $" on {ThreadCount} threads" : string.Empty)} over {DurationSeconds:0.#} s");
}

/// <param name="Frame">The innermost application frame of the samples counted.</param>
/// <param name="Percent">Share of all on-CPU samples, 0–100.</param>
/// <param name="Leaf">The hottest innermost frame beneath it (library or runtime code it calls, or itself).</param>
public sealed record OwnFrameStat(string Frame, long Samples, double Percent, string Leaf, double LeafPercent);

/// <param name="Frame">The innermost application frame of the waiting threads (the innermost frame when none is).</param>
/// <param name="Innermost">Where the waiting threads actually are (e.g. <c>Monitor.Enter</c>).</param>
public sealed record WaitStat(string Frame, int ThreadCount, string Innermost);

/// <param name="Group">What the threads share: their outermost managed frame (the thread's start routine).</param>
/// <param name="Samples">The group's on-CPU samples; Percent is their share of all on-CPU samples.</param>
public sealed record ThreadGroupStat(string Group, int ThreadCount, long Samples, double Percent, IReadOnlyList<FrameStat> TopExclusive);

/// <param name="Frames">Innermost frame first.</param>
public sealed record ThreadStack(long ThreadId, IReadOnlyList<string> Frames)
{
    /// <summary>The thread's name, when it has one (Thread.Name, or the runtime's own such as ".NET TP Worker").</summary>
    public string? Name { get; init; }
}

public sealed record ThreadStacksSummary(int ThreadCount, IReadOnlyList<ThreadStack> Threads)
{
    /// <summary>.NET: who held the locks the snapshot's threads waited to enter; null when none waited, so none was asked.</summary>
    public StackLocks? Locks { get; init; }
}

/// <summary>
/// The contention events a .NET stacks capture listened for after its snapshot, because threads in it waited to enter
/// a lock: the threads blocked before the snapshot raise none, but the next wait on the same lock names its holder.
/// </summary>
/// <param name="WindowSeconds">How long it listened: the whole window, or less once every waiter had queued again.</param>
/// <param name="Waiters">The snapshot's threads that were waiting to enter a lock.</param>
/// <param name="Holders">
/// Lock waits seen in the window by the thread that held the lock, the snapshot's waiters' holders first (threads that
/// were not waiting themselves), each placed by its snapshot stack; empty when no event named a holder.
/// </param>
public sealed record StackLocks(double WindowSeconds, IReadOnlyList<long> Waiters, IReadOnlyList<LockContention> Holders)
{
    /// <summary>Why the window heard nothing, when its session failed (the snapshot is kept all the same).</summary>
    public string? Error { get; init; }
}

/// <summary>Threads that waited for locks one thread held, from the runtime's contention events (.NET 8+).</summary>
/// <param name="OwnerThreadId">The thread that held the lock, as the runtime reported it.</param>
/// <param name="Waiters">Threads seen waiting for a lock it held.</param>
/// <param name="WaitSeconds">All their waits added up; LongestWaitSeconds is the longest one (at least what the capture saw).</param>
/// <param name="WaitingIn">The innermost application frame the waiters were in most.</param>
/// <param name="HolderIn">The innermost application frame the owner was in most.</param>
public sealed record LockContention(long OwnerThreadId, int Waiters, double WaitSeconds, double LongestWaitSeconds, string? WaitingIn, string? HolderIn);

/// <summary>What holds the heap: .NET by object type (GC heap snapshot), Go by allocation site (pprof inuse_space).</summary>
/// <param name="GroupedBy"><c>type</c> or <c>function</c>.</param>
/// <param name="TotalObjects">Live objects counted; null when the source does not count them.</param>
/// <param name="PauseMilliseconds">.NET: the full blocking GC the snapshot induced, start to end.</param>
public sealed record HeapSummary(
    string GroupedBy,
    long TotalBytes,
    long? TotalObjects,
    IReadOnlyList<HeapEntry> Top,
    double? PauseMilliseconds = null)
{
    /// <summary>.NET: application types by the bytes they hold through references (theirs plus what only they point to).</summary>
    public IReadOnlyList<RetainedStat>? RetainedBy { get; init; }
}

/// <param name="Type">An application type.</param>
/// <param name="Bytes">Its own bytes plus those of the objects it references that no other type's instances do.</param>
/// <param name="Through">The type most of the retained bytes are in (e.g. <c>System.Byte[]</c>).</param>
public sealed record RetainedStat(string Type, long Bytes, long Objects, double Percent, string Through);

/// <param name="Percent">Share of <see cref="HeapSummary.TotalBytes"/>, 0–100.</param>
public sealed record HeapEntry(string Name, long Bytes, long? Objects, double Percent);

/// <summary>A goroutine dump grouped the way panicparse groups one: same state, same stack, same creator.</summary>
/// <param name="LongestWaitMinutes">The longest wait any goroutine reported ("[chan receive, 42 minutes]").</param>
public sealed record GoroutineSummary(int Total, int GroupCount, int? LongestWaitMinutes, IReadOnlyList<GoroutineGroup> Groups);

/// <param name="Frames">Function names, innermost first (at most a dozen; the dump artifact has them all).</param>
/// <param name="CreatedBy">The function that started these goroutines, if the dump names one.</param>
public sealed record GoroutineGroup(
    int Count,
    string State,
    int? MinWaitMinutes,
    int? MaxWaitMinutes,
    IReadOnlyList<string> Frames,
    string? CreatedBy,
    bool LockedToThread);

/// <summary>Runtime counters sampled over a short window.</summary>
public sealed record RuntimeCountersSummary(double WindowSeconds, IReadOnlyList<CounterStat> Counters);

/// <param name="Name">The counter's id, e.g. <c>gc-heap-size</c>.</param>
/// <param name="Last">The last value in the window; Min and Max over every value seen.</param>
public sealed record CounterStat(string Name, string DisplayName, string Unit, double Last, double Min, double Max, int Samples);

/// <summary>A process dump: its flavour and size (the dump itself is the artifact).</summary>
public sealed record DumpSummary(string DumpType, long Bytes, double Seconds);

/// <summary>A pprof profile summarised for one sample type (the profile's default unless asked otherwise).</summary>
/// <param name="SampleTypes">Every sample type in the profile with its total, e.g. alloc_space and inuse_space.</param>
/// <param name="Period">Sampling period in <paramref name="PeriodUnit"/> (e.g. 10000000 nanoseconds of cpu).</param>
public sealed record PprofSummary(
    string SampleType,
    string Unit,
    long Total,
    long SampleCount,
    double DurationSeconds,
    long Period,
    string PeriodType,
    string PeriodUnit,
    IReadOnlyList<PprofValueTotal> SampleTypes,
    IReadOnlyList<PprofFrameStat> TopFlat,
    IReadOnlyList<PprofFrameStat> TopCum);

public sealed record PprofValueTotal(string Type, string Unit, long Total);

/// <param name="Value">In the summary's unit; Percent is its share of the total.</param>
public sealed record PprofFrameStat(string Function, long Value, double Percent);
