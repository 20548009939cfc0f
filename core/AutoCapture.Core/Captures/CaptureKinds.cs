namespace AutoCapture.Core.Captures;

/// <summary>The capture kinds a rule can ask for. Strings on the wire so new kinds never break old readers.</summary>
public static class CaptureKinds
{
    public const string Cpu = "cpu";
    public const string Stacks = "stacks";
    public const string Heap = "heap";
    public const string Dump = "dump";
    public const string Counters = "counters";
    public const string Allocs = "allocs";
    public const string Goroutines = "goroutines";
    public const string Block = "block";
    public const string Mutex = "mutex";
    public const string ThreadCreate = "threadcreate";
    public const string Trace = "trace";

    public static IReadOnlyList<string> All { get; } =
        [Cpu, Stacks, Heap, Dump, Counters, Allocs, Goroutines, Block, Mutex, ThreadCreate, Trace];

    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);

    /// <summary>A metric label: the kind if known, else "other", so a hand-edited manifest cannot add label values.</summary>
    public static string Label(string kind) => All.FirstOrDefault(k => string.Equals(k, kind, StringComparison.Ordinal)) ?? "other";

    /// <summary>Kinds that take a duration; the others are point-in-time snapshots.</summary>
    public static bool IsTimed(string kind) => kind is Cpu or Trace or Counters;

    /// <summary>How long taking all of <paramref name="captures"/> takes at most: the collector takes them one after another.</summary>
    public static TimeSpan ExpectedDuration(IEnumerable<CaptureSpec> captures) =>
        captures.Aggregate(TimeSpan.Zero, (sum, c) => sum + (c.DurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultDuration(c.Kind)));

    /// <summary>The duration a timed kind gets when a rule names none.</summary>
    public static TimeSpan DefaultDuration(string kind) => kind switch
    {
        Cpu => TimeSpan.FromSeconds(30),
        Trace => TimeSpan.FromSeconds(5),
        Counters => TimeSpan.FromSeconds(5),
        _ => TimeSpan.Zero,
    };
}

public static class Runtimes
{
    public const string Dotnet = "dotnet";
    public const string Go = "go";

    public static IReadOnlyList<string> All { get; } = [Dotnet, Go];

    private static readonly string[] DotnetKinds =
        [CaptureKinds.Cpu, CaptureKinds.Stacks, CaptureKinds.Heap, CaptureKinds.Dump, CaptureKinds.Counters];

    private static readonly string[] GoPprofKinds =
    [
        CaptureKinds.Cpu, CaptureKinds.Heap, CaptureKinds.Allocs, CaptureKinds.Goroutines, CaptureKinds.Block,
        CaptureKinds.Mutex, CaptureKinds.ThreadCreate, CaptureKinds.Trace,
    ];

    // What the gops agent's one-byte commands can produce (memstats and stats make up its counters).
    private static readonly string[] GoAgentKinds =
        [CaptureKinds.Cpu, CaptureKinds.Heap, CaptureKinds.Goroutines, CaptureKinds.Trace, CaptureKinds.Counters];

    /// <summary>
    /// The kinds a target can give: .NET processes through the diagnostics channel; Go processes through
    /// net/http/pprof when the target is an address, through the gops agent when it is a local process.
    /// </summary>
    public static IReadOnlyList<string> KindsFor(string runtime, bool byAddress) => runtime switch
    {
        Dotnet when !byAddress => DotnetKinds,
        Go => byAddress ? GoPprofKinds : GoAgentKinds,
        _ => [],
    };

    /// <summary>Why a kind cannot be captured from such a target, or null when it can.</summary>
    public static string? Unsupported(string runtime, bool byAddress, string kind)
    {
        var kinds = KindsFor(runtime, byAddress);
        if (kinds.Contains(kind, StringComparer.Ordinal))
        {
            return null;
        }

        var channel = runtime == Go ? (byAddress ? "go targets by address (net/http/pprof)" : "go processes (gops agent)") : $"{runtime} processes";
        return $"kind '{kind}' is not available for {channel} (available: {string.Join(", ", kinds)})";
    }
}

/// <summary>The process dump flavours of the .NET diagnostics channel.</summary>
public static class DumpTypes
{
    public const string Mini = "mini";
    public const string WithHeap = "with-heap";
    public const string Full = "full";
    public const string Triage = "triage";

    public static IReadOnlyList<string> All { get; } = [Mini, WithHeap, Full, Triage];

    public static string Default => WithHeap;
}
