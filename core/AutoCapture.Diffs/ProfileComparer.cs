using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Histograms;

namespace AutoCapture.Diffs;

/// <summary>
/// Compares two profiles function by function, as <c>pprof -diff_base -normalize</c> does: each side is taken as
/// shares of its own total, so a 30 s capture compares with a 10 s one and a busier process with a quieter one.
/// Functions are ranked by the change in flat (self) share: the code that now does the work, not its callers.
/// </summary>
public static class ProfileComparer
{
    public const int DefaultTop = 20;

    public static ProfileDiff Compare(FunctionHistogram baseline, FunctionHistogram incident, int top = DefaultTop)
    {
        var before = ByName(baseline);
        var after = ByName(incident);
        var names = new HashSet<string>(before.Keys, StringComparer.Ordinal);
        names.UnionWith(after.Keys);
        var deltas = names.Select(name =>
        {
            var b = before.GetValueOrDefault(name) ?? new FunctionValue(name, 0, 0);
            var a = after.GetValueOrDefault(name) ?? new FunctionValue(name, 0, 0);
            var baseFlat = Share(b.Flat, baseline.Total);
            var flat = Share(a.Flat, incident.Total);
            return new FunctionDelta(name, b.Flat, a.Flat, Round(baseFlat), Round(flat), Round(Share(b.Cum, baseline.Total)), Round(Share(a.Cum, incident.Total)), Round(flat - baseFlat));
        }).ToList();

        return new ProfileDiff(
            incident.SampleType,
            incident.Unit,
            baseline.Total,
            incident.Total,
            names.Count,
            deltas.Where(d => d.Delta > 0).OrderByDescending(d => d.Delta).ThenBy(d => d.Function, StringComparer.Ordinal).Take(top).ToList(),
            deltas.Where(d => d.Delta < 0).OrderBy(d => d.Delta).ThenBy(d => d.Function, StringComparer.Ordinal).Take(top).ToList());
    }

    // A name listed twice (two functions pprof names alike) counts as one function.
    private static Dictionary<string, FunctionValue> ByName(FunctionHistogram histogram) => histogram.Functions
        .GroupBy(f => f.Name, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => new FunctionValue(g.Key, g.Sum(f => f.Flat), g.Max(f => f.Cum)), StringComparer.Ordinal);

    private static double Share(long value, long total) => total == 0 ? 0 : 100.0 * value / total;

    private static double Round(double percent) => Math.Round(percent, 2);
}
