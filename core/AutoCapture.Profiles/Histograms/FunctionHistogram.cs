namespace AutoCapture.Profiles.Histograms;

/// <summary>
/// Every function of a profile with its flat (innermost frame) and cumulative (anywhere on the stack, once per
/// sample) value: what a diff needs of a profile, without its stacks. The .NET cpu capture stores it as
/// <c>cpu.functions.json</c>; for pprof profiles it is computed from the profile itself.
/// </summary>
/// <param name="SampleType">What was counted, e.g. <c>samples</c> or <c>inuse_space</c>.</param>
/// <param name="Total">The sum over all samples; flat values add up to it.</param>
/// <param name="Functions">Ordered by flat value, largest first, then by name (as summaries rank them).</param>
public sealed record FunctionHistogram(string SampleType, string Unit, long Total, IReadOnlyList<FunctionValue> Functions)
{
    public static FunctionHistogram Create(string sampleType, string unit, long total, IEnumerable<FunctionValue> functions) =>
        new(sampleType, unit, total, functions
            .OrderByDescending(f => f.Flat)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList());
}

public sealed record FunctionValue(string Name, long Flat, long Cum);

/// <summary>A heap's live objects by type (.NET: <c>heap.types.json</c>), every type, not just the top.</summary>
/// <param name="Types">Ordered by bytes, largest first, then by name.</param>
public sealed record TypeHistogram(long TotalBytes, long TotalObjects, IReadOnlyList<TypeValue> Types)
{
    public static TypeHistogram Create(IEnumerable<TypeValue> types)
    {
        var ordered = types.OrderByDescending(t => t.Bytes).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        return new TypeHistogram(ordered.Sum(t => t.Bytes), ordered.Sum(t => t.Objects), ordered);
    }
}

public sealed record TypeValue(string Name, long Bytes, long Objects);
