using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Histograms;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// Counts samples per frame: exclusive for the innermost frame of a sample, inclusive once for every distinct frame
/// on its stack (so recursion is not counted twice). Percent is the share of all samples added.
/// </summary>
internal sealed class FrameTally
{
    private readonly Dictionary<string, long> exclusive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> inclusive = new(StringComparer.Ordinal);
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);

    public long SampleCount { get; private set; }

    /// <param name="frames">Real frames, innermost first.</param>
    /// <param name="samples">How many samples had exactly this stack.</param>
    public void Add(IReadOnlyList<string> frames, long samples)
    {
        SampleCount += samples;
        if (frames.Count == 0)
        {
            return;
        }

        exclusive[frames[0]] = exclusive.GetValueOrDefault(frames[0]) + samples;
        seen.Clear();
        foreach (var frame in frames)
        {
            if (seen.Add(frame))
            {
                inclusive[frame] = inclusive.GetValueOrDefault(frame) + samples;
            }
        }
    }

    public IReadOnlyList<FrameStat> TopExclusive(int count) => Top(exclusive, count);

    public IReadOnlyList<FrameStat> TopInclusive(int count) => Top(inclusive, count);

    /// <summary>Every frame's exclusive (flat) and inclusive (cum) samples: what a diff with a baseline needs.</summary>
    public FunctionHistogram Histogram() => FunctionHistogram.Create(
        "samples",
        "count",
        SampleCount,
        inclusive.Select(pair => new FunctionValue(pair.Key, exclusive.GetValueOrDefault(pair.Key), pair.Value)));

    private List<FrameStat> Top(Dictionary<string, long> counts, int count) => counts
        .OrderByDescending(pair => pair.Value)
        .ThenBy(pair => pair.Key, StringComparer.Ordinal)
        .Take(count)
        .Select(pair => new FrameStat(pair.Key, pair.Value, Math.Round(100.0 * pair.Value / SampleCount, 2)))
        .ToList();
}
