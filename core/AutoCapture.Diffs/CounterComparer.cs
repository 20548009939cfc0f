using AutoCapture.Core.Summaries;

namespace AutoCapture.Diffs;

/// <summary>
/// Finds counters that left their normal range. The range is what the baseline showed over its window, widened by
/// half its own spread and a tenth of its size, so sampling noise and small drifts are not reported.
/// </summary>
public static class CounterComparer
{
    public const int DefaultTop = 10;

    // Go's memstats that only ever grow (totals since start): their value is always "beyond" the baseline's.
    private static readonly HashSet<string> Cumulative = new(StringComparer.Ordinal)
    {
        "total-alloc", "lookups", "mallocs", "frees", "num-gc", "num-forced-gc", "gc-pause-total", "last-gc",
    };

    public static CountersDiff Compare(RuntimeCountersSummary baseline, RuntimeCountersSummary incident, int top = DefaultTop)
    {
        var before = new Dictionary<string, CounterStat>(StringComparer.Ordinal);
        foreach (var counter in baseline.Counters)
        {
            before.TryAdd(counter.Name, counter);
        }

        var compared = 0;
        var beyond = new List<(double Distance, CounterDelta Delta)>();
        foreach (var counter in incident.Counters)
        {
            if (!before.TryGetValue(counter.Name, out var normal) || Cumulative.Contains(counter.Name))
            {
                continue;
            }

            compared++;
            var size = Math.Max(Math.Abs(normal.Min), Math.Abs(normal.Max));
            var slack = Math.Max((normal.Max - normal.Min) / 2, size / 10);
            var (low, high) = (normal.Min - slack, normal.Max + slack);
            var value = counter.Max > high ? counter.Max : counter.Min < low ? counter.Min : double.NaN;
            if (double.IsNaN(value))
            {
                continue;
            }

            // How far out, in units of the baseline's own size, so counters of any magnitude rank together.
            var distance = (value > high ? value - high : low - value) / Math.Max(size, 1e-9);
            beyond.Add((distance, new CounterDelta(counter.Name, counter.DisplayName, counter.Unit, Math.Round(low, 3), Math.Round(high, 3), value, normal.Last, counter.Last)));
        }

        return new CountersDiff(compared, beyond.OrderByDescending(b => b.Distance).ThenBy(b => b.Delta.Name, StringComparer.Ordinal).Take(top).Select(b => b.Delta).ToList());
    }
}
