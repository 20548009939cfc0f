using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Histograms;

namespace AutoCapture.Diffs;

/// <summary>
/// Compares two heap type histograms in absolute terms: a type that accumulates grows in bytes and objects whatever
/// the rest of the heap does, so shares would hide it behind a heap that grew overall.
/// </summary>
public static class HeapTypeComparer
{
    public const int DefaultTop = 20;

    public static HeapTypesDiff Compare(TypeHistogram baseline, TypeHistogram incident, int top = DefaultTop)
    {
        var before = ByName(baseline);
        var after = ByName(incident);
        var deltas = before.Keys.Union(after.Keys, StringComparer.Ordinal).Select(name =>
        {
            var b = before.GetValueOrDefault(name);
            var a = after.GetValueOrDefault(name);
            return new TypeDelta(name, b?.Bytes ?? 0, a?.Bytes ?? 0, b?.Objects ?? 0, a?.Objects ?? 0);
        }).ToList();

        return new HeapTypesDiff(
            baseline.TotalBytes,
            incident.TotalBytes,
            baseline.TotalObjects,
            incident.TotalObjects,
            deltas.Where(d => d.Bytes > d.BaselineBytes).OrderByDescending(d => d.Bytes - d.BaselineBytes).ThenBy(d => d.Type, StringComparer.Ordinal).Take(top).ToList(),
            deltas.Where(d => d.Objects > d.BaselineObjects).OrderByDescending(d => d.Objects - d.BaselineObjects).ThenBy(d => d.Type, StringComparer.Ordinal).Take(top).ToList());
    }

    // Generic instantiations of one name from different modules are one type to a reader.
    private static Dictionary<string, TypeValue> ByName(TypeHistogram histogram) => histogram.Types
        .GroupBy(t => t.Name, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => new TypeValue(g.Key, g.Sum(t => t.Bytes), g.Sum(t => t.Objects)), StringComparer.Ordinal);
}
