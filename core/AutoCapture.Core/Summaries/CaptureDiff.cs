namespace AutoCapture.Core.Summaries;

/// <summary>
/// What changed between a capture and a healthy one of the same target and kinds (its baseline): written as
/// <c>diff.json</c> next to the capture's artifacts, and, cut to the top entries, onto its manifest so chat and the
/// capture page lead with it. Each section compares one kind; a kind that could not be compared has a note instead.
/// </summary>
public sealed record CaptureDiff
{
    public required string BaselineId { get; init; }

    /// <summary>How the baseline was chosen: <c>schedule</c>, <c>peer</c> or <c>chosen</c> (named by hand).</summary>
    public required string Basis { get; init; }

    /// <summary>The baseline's target, e.g. <c>name=checkout on web-4</c> (for a peer, another target than the capture's).</summary>
    public required string BaselineTarget { get; init; }

    public DateTimeOffset? BaselineCompletedAt { get; init; }

    /// <summary>
    /// When kinds were compared with different baselines (the newest baseline of a kind is an older capture when that
    /// kind failed in the latest one): the baseline of each kind. Null when all come from <see cref="BaselineId"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? BaselineByKind { get; init; }

    /// <summary>The most telling changes in words, most telling first: what chat and the capture page show first.</summary>
    public IReadOnlyList<string> Headlines { get; init; } = [];

    /// <summary>Function-level comparisons of profiles by capture kind (cpu, heap, allocs, block, mutex, threadcreate).</summary>
    public IReadOnlyDictionary<string, ProfileDiff>? Profiles { get; init; }

    /// <summary>Go goroutine groups (state, stack, creator) that appeared, grew, shrank or vanished.</summary>
    public GroupsDiff? Goroutines { get; init; }

    /// <summary>.NET threads grouped by stack, likewise.</summary>
    public GroupsDiff? Threads { get; init; }

    /// <summary>.NET heap: types whose bytes or object counts grew most.</summary>
    public HeapTypesDiff? HeapTypes { get; init; }

    /// <summary>Runtime counters outside the range the baseline showed.</summary>
    public CountersDiff? Counters { get; init; }

    /// <summary>Kinds that were not compared, and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The diff artifacts written next to the capture's (diff.json, a pprof or speedscope comparison per profile).</summary>
    public IReadOnlyList<string> Artifacts { get; init; } = [];
}

/// <summary>
/// A profile of each side by function, normalised: each function's share of its own profile's total. For Go, a
/// sample's flat (self) value goes to its innermost frame outside the runtime's internals, so time a busy function
/// spends being preempted or spinning on a lock counts for that function; the .diff.pb.gz keeps the exact stacks.
/// </summary>
/// <param name="SampleType">What was compared, e.g. <c>cpu</c>, <c>samples</c> or <c>inuse_space</c>.</param>
/// <param name="Increased">Functions whose flat share grew, most first.</param>
/// <param name="Decreased">Functions whose flat share shrank, most first.</param>
public sealed record ProfileDiff(
    string SampleType,
    string Unit,
    long BaselineTotal,
    long Total,
    int Functions,
    IReadOnlyList<FunctionDelta> Increased,
    IReadOnlyList<FunctionDelta> Decreased);

/// <summary>One function on both sides: flat (self) and cumulative shares in percent of each side's total.</summary>
/// <param name="Delta">Percentage points of flat share gained (negative: lost).</param>
public sealed record FunctionDelta(
    string Function,
    long BaselineFlat,
    long Flat,
    double BaselineFlatPercent,
    double FlatPercent,
    double BaselineCumPercent,
    double CumPercent,
    double Delta);

/// <summary>Goroutines or threads grouped the same way on both sides, and the groups whose count changed.</summary>
/// <param name="Changes">Largest change in count first; growth before shrinkage of the same size.</param>
public sealed record GroupsDiff(int BaselineTotal, int Total, int Unchanged, IReadOnlyList<GroupDelta> Changes);

/// <param name="Change"><c>appeared</c>, <c>grew</c>, <c>shrank</c> or <c>vanished</c>.</param>
/// <param name="Where">The first frame that is the program's own (not the runtime's or the framework's).</param>
/// <param name="Frames">Innermost first, at most a dozen.</param>
public sealed record GroupDelta(string Change, int Before, int After, string State, string Where, IReadOnlyList<string> Frames, string? CreatedBy);

/// <param name="ByBytes">Types whose bytes grew most.</param>
/// <param name="ByObjects">Types whose object count grew most.</param>
public sealed record HeapTypesDiff(
    long BaselineBytes,
    long Bytes,
    long BaselineObjects,
    long Objects,
    IReadOnlyList<TypeDelta> ByBytes,
    IReadOnlyList<TypeDelta> ByObjects);

public sealed record TypeDelta(string Type, long BaselineBytes, long Bytes, long BaselineObjects, long Objects);

/// <param name="Compared">Counters present on both sides.</param>
/// <param name="Beyond">Counters outside their normal range, furthest first.</param>
public sealed record CountersDiff(int Compared, IReadOnlyList<CounterDelta> Beyond);

/// <summary>A counter outside the range the baseline showed (widened a little, so noise is not news).</summary>
/// <param name="NormalLow">The low end of the normal range.</param>
/// <param name="Value">The capture's value furthest outside that range.</param>
public sealed record CounterDelta(string Name, string DisplayName, string Unit, double NormalLow, double NormalHigh, double Value, double BaselineLast, double Last);
