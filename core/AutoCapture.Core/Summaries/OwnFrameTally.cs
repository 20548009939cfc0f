namespace AutoCapture.Core.Summaries;

/// <summary>
/// Counts each sample for the innermost application frame on its stack, and under it for the sample's leaf: a
/// service that spends its time in crypto or JSON code it calls still reads as its own function first, with the
/// library leaf as the detail. Samples with no application frame are counted in the total only.
/// </summary>
public sealed class OwnFrameTally(Func<string, bool> isOwn)
{
    private readonly Dictionary<string, (long Samples, Dictionary<string, long> Leaves)> frames = new(StringComparer.Ordinal);

    public long SampleCount { get; private set; }

    /// <param name="stack">Frames, innermost first.</param>
    public void Add(IReadOnlyList<string> stack, long samples)
    {
        SampleCount += samples;
        foreach (var frame in stack)
        {
            if (!isOwn(frame))
            {
                continue;
            }

            if (!frames.TryGetValue(frame, out var entry))
            {
                entry = (0, new Dictionary<string, long>(StringComparer.Ordinal));
            }

            entry.Leaves[stack[0]] = entry.Leaves.GetValueOrDefault(stack[0]) + samples;
            frames[frame] = (entry.Samples + samples, entry.Leaves);
            return;
        }
    }

    public IReadOnlyList<OwnFrameStat> Top(int count) => frames
        .OrderByDescending(pair => pair.Value.Samples)
        .ThenBy(pair => pair.Key, StringComparer.Ordinal)
        .Take(count)
        .Select(pair =>
        {
            var leaf = pair.Value.Leaves.OrderByDescending(l => l.Value).ThenBy(l => l.Key, StringComparer.Ordinal).First();
            return new OwnFrameStat(pair.Key, pair.Value.Samples, Share(pair.Value.Samples), leaf.Key, Share(leaf.Value));
        })
        .ToList();

    private double Share(long samples) => SampleCount == 0 ? 0 : Math.Round(100.0 * samples / SampleCount, 2);
}
