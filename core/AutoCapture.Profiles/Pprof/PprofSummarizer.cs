using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Histograms;

namespace AutoCapture.Profiles.Pprof;

/// <summary>
/// What <c>go tool pprof -top</c> shows: functions ranked by flat value (the sample's innermost frame) and by
/// cumulative value (anywhere on the stack, counted once per sample even under recursion).
/// </summary>
public static class PprofSummarizer
{
    public const int DefaultTop = 15;

    /// <param name="sampleType">A sample type name (e.g. alloc_space); null for the profile's default.</param>
    public static PprofSummary Summarize(PprofProfile profile, string? sampleType = null, int top = DefaultTop)
    {
        var index = SampleTypeIndex(profile, sampleType);
        var (flat, cum, totals) = Tally(profile, index);
        var total = totals[index];
        var (type, unit) = profile.SampleTypes[index];
        var periodType = profile.PeriodType;
        return new PprofSummary(
            type,
            unit,
            total,
            profile.SampleCount,
            Math.Round(profile.DurationSeconds, 3),
            profile.Period,
            periodType.Type,
            periodType.Unit,
            profile.SampleTypes.Select((t, i) => new PprofValueTotal(t.Type, t.Unit, totals[i])).ToList(),
            Top(flat, profile.FunctionNames, total, top),
            Top(cum, profile.FunctionNames, total, top));
    }

    /// <summary>Every function's flat and cumulative value for one sample type (the profile's default when null).</summary>
    /// <param name="holdsSelf">
    /// Which functions a sample's flat value may go to: the innermost frame for which it is true takes it (the
    /// innermost frame when none is). Null: the innermost frame, as pprof counts. A diff passes "not a runtime
    /// internal", so time in <c>runtime.asyncPreempt</c> or a mutex's spin counts for the code that got there.
    /// </param>
    /// <param name="leavesOut">
    /// Samples with any such function on their stack are left out, totals included. A diff passes "the profiler's
    /// own", so what serving a profile allocated in the target never reads as the program's change.
    /// </param>
    public static FunctionHistogram Histogram(PprofProfile profile, string? sampleType = null, Func<string, bool>? holdsSelf = null, Func<string, bool>? leavesOut = null)
    {
        var index = SampleTypeIndex(profile, sampleType);
        var (flat, cum, totals) = Tally(profile, index, holdsSelf is null ? null : [.. profile.FunctionNames.Select(holdsSelf)], leavesOut is null ? null : [.. profile.FunctionNames.Select(leavesOut)]);
        var (type, unit) = profile.SampleTypes[index];
        return FunctionHistogram.Create(type, unit, totals[index], Enumerable
            .Range(0, flat.Length)
            .Where(i => flat[i] != 0 || cum[i] != 0)
            .Select(i => new FunctionValue(profile.FunctionNames[i], flat[i], cum[i])));
    }

    /// <summary>Own functions ranked as <see cref="OwnFrameTally"/> ranks them, leaving out samples in <paramref name="leavesOut"/> code.</summary>
    public static IReadOnlyList<OwnFrameStat> TopOwn(PprofProfile profile, string? sampleType, Func<string, bool> isOwn, Func<string, bool> leavesOut, int top = DefaultTop)
    {
        var index = SampleTypeIndex(profile, sampleType);
        var tally = new OwnFrameTally(isOwn);
        var stack = new List<string>();
        for (var sample = 0; sample < profile.SampleCount; sample++)
        {
            stack.Clear();
            foreach (var location in profile.Locations(sample))
            {
                foreach (var frame in profile.Frames(location))
                {
                    stack.Add(profile.FunctionNames[frame]);
                }
            }

            var value = profile.Value(sample, index);
            if (value != 0 && stack.Count > 0 && !stack.Exists(f => leavesOut(f)))
            {
                tally.Add(stack, value);
            }
        }

        return tally.Top(top);
    }

    private static int SampleTypeIndex(PprofProfile profile, string? sampleType)
    {
        var index = sampleType is null ? profile.DefaultSampleType : profile.FindSampleType(sampleType);
        return index >= 0
            ? index
            : throw new ProfileFormatException(
                $"the profile has no sample type '{sampleType}' (it has {string.Join(", ", profile.SampleTypes.Select(t => t.Type))})");
    }

    /// <summary>Flat and cumulative values per function for sample type <paramref name="index"/>, and every type's total.</summary>
    private static (long[] Flat, long[] Cum, long[] Totals) Tally(PprofProfile profile, int index, bool[]? holdsSelf = null, bool[]? leavesOut = null)
    {
        var functions = profile.FunctionNames.Count;
        var flat = new long[functions];
        var cum = new long[functions];
        // Stamp of the last sample that counted a function cumulatively: recursion counts once per sample.
        var stamp = new int[functions];
        Array.Fill(stamp, -1);
        var totals = new long[profile.SampleTypes.Count];
        for (var sample = 0; sample < profile.SampleCount; sample++)
        {
            if (leavesOut is not null && Passes(profile, sample, leavesOut))
            {
                continue;
            }

            for (var t = 0; t < totals.Length; t++)
            {
                totals[t] += profile.Value(sample, t);
            }

            var value = profile.Value(sample, index);
            if (value == 0)
            {
                continue;
            }

            var innermost = -1;
            var selfCounted = false;
            foreach (var location in profile.Locations(sample))
            {
                foreach (var frame in profile.Frames(location))
                {
                    if (innermost < 0)
                    {
                        innermost = frame;
                    }

                    if (!selfCounted && (holdsSelf is null || holdsSelf[frame]))
                    {
                        flat[frame] += value;
                        selfCounted = true;
                    }

                    if (stamp[frame] != sample)
                    {
                        stamp[frame] = sample;
                        cum[frame] += value;
                    }
                }
            }

            if (!selfCounted && innermost >= 0)
            {
                flat[innermost] += value;
            }
        }

        return (flat, cum, totals);
    }

    private static bool Passes(PprofProfile profile, int sample, bool[] functions)
    {
        foreach (var location in profile.Locations(sample))
        {
            if (profile.Frames(location).Any(frame => functions[frame]))
            {
                return true;
            }
        }

        return false;
    }

    private static List<PprofFrameStat> Top(long[] values, IReadOnlyList<string> names, long total, int count) => Enumerable
        .Range(0, values.Length)
        .Where(i => values[i] != 0)
        .OrderByDescending(i => values[i])
        .ThenBy(i => names[i], StringComparer.Ordinal)
        .Take(count)
        .Select(i => new PprofFrameStat(names[i], values[i], total == 0 ? 0 : Math.Round(100.0 * values[i] / total, 2)))
        .ToList();
}
