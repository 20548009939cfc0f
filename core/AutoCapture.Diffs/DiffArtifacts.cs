namespace AutoCapture.Diffs;

/// <summary>The artifacts diffs read and write, by name.</summary>
public static class DiffArtifacts
{
    /// <summary>The artifact kind of everything a diff writes.</summary>
    public const string Kind = "diff";

    public const string DiffJson = "diff.json";

    /// <summary>.NET cpu: every function's exclusive and inclusive on-CPU samples (a <see cref="Profiles.Histograms.FunctionHistogram"/>).</summary>
    public const string CpuFunctions = "cpu.functions.json";

    /// <summary>.NET heap: every type's bytes and objects (a <see cref="Profiles.Histograms.TypeHistogram"/>).</summary>
    public const string HeapTypes = "heap.types.json";

    public const string CpuSpeedscope = "cpu.speedscope.json";

    public const string CpuSpeedscopeDiff = "cpu.diff.speedscope.json";

    public const string GoroutineDump = "goroutines.txt";

    public static string Pprof(string kind) => $"{kind}.pb.gz";

    public static string PprofDiff(string kind) => $"{kind}.diff.pb.gz";
}
