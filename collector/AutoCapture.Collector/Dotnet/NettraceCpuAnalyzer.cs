using AutoCapture.Core.Json;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.Tracing.Stacks;
using Microsoft.Diagnostics.Tracing.Stacks.Formats;

namespace AutoCapture.Collector.Dotnet;

/// <summary>Turns a CPU-sampling .nettrace into the cpu summary and a speedscope profile.</summary>
public static class NettraceCpuAnalyzer
{
    public const int DefaultTopFrames = 15;
    internal const int DefaultTopLocks = 5;

    /// <summary>
    /// Reads <paramref name="nettracePath"/>, writes its speedscope JSON (one profile per thread, every sample) to
    /// <paramref name="speedscopePath"/> and ranks frames over the on-CPU samples. With <paramref name="functionsPath"/>,
    /// also writes every frame's on-CPU samples there (cpu.functions.json), which diffs with a baseline read.
    /// </summary>
    /// <remarks>
    /// The sampler takes every managed thread about once a millisecond, running or not. A thread in native code is
    /// marked UNMANAGED_CODE_TIME whether it is blocked in a wait or busy in a P/Invoke; the two cannot be told
    /// apart, and idle waits outnumber everything in a typical server, so ranking them would bury the hot code. The
    /// summary therefore counts only samples of threads running managed code (CPU_TIME): SampleCount is those
    /// samples and Percent a share of them. ThreadCount and DurationSeconds cover every sample; the speedscope
    /// file keeps the waits. Pseudo-frames (thread and process nodes, the markers) are never ranked.
    /// </remarks>
    /// <param name="window">
    /// The duration asked for: samples after it (taken while the session stops and the runtime writes its rundown, a
    /// second or more on a busy host) are left out of the summary, so it covers what was asked.
    /// </param>
    public static CpuProfileSummary Analyze(string nettracePath, string speedscopePath, int topFrames = DefaultTopFrames, string? functionsPath = null, TimeSpan? window = null)
    {
        using var trace = NettraceStacks.Open(nettracePath);
        SpeedScopeStackSourceWriter.WriteStackViewAsJson(trace.Source, speedscopePath);

        var start = double.MaxValue;
        trace.Source.ForEach(sample => start = Math.Min(start, sample.TimeRelativeMSec));
        var end = window is { } asked ? start + asked.TotalMilliseconds : double.MaxValue;

        // Samples share interned stacks: count per stack first, so each distinct stack is resolved once.
        var samplesByStack = new Dictionary<StackSourceCallStackIndex, long>();
        var first = double.MaxValue;
        var last = double.MinValue;
        trace.Source.ForEach(sample =>
        {
            if (sample.TimeRelativeMSec > end)
            {
                return;
            }

            samplesByStack[sample.StackIndex] = samplesByStack.GetValueOrDefault(sample.StackIndex) + 1;
            first = Math.Min(first, sample.TimeRelativeMSec);
            last = Math.Max(last, sample.TimeRelativeMSec);
        });

        var tally = new FrameTally();
        var own = new OwnFrameTally(OwnCode.IsOwnDotnetFrame);
        var threads = new HashSet<long>();
        var groups = new ThreadGroups();
        var waits = new Dictionary<long, Dictionary<(string Frame, string Innermost), long>>();
        var places = new Dictionary<long, Dictionary<string, long>>();
        foreach (var (stack, samples) in samplesByStack)
        {
            // The capture's own EventPipe dispatch runs only because we listen: ranking it would profile the profiler.
            if (trace.Resolve(stack) is not { } sample || sample.Frames.Any(OwnCode.IsDotnetDiagnosticsFrame))
            {
                continue;
            }

            threads.Add(sample.ThreadId);
            groups.Add(sample, samples, onCpu: !sample.InNativeCode);
            if (sample.Frames.FirstOrDefault(OwnCode.IsOwnDotnetFrame) is { } ownFrame)
            {
                var byThread = places.TryGetValue(sample.ThreadId, out var seen) ? seen : places[sample.ThreadId] = new(StringComparer.Ordinal);
                byThread[ownFrame] = byThread.GetValueOrDefault(ownFrame) + samples;
            }

            if (!sample.InNativeCode)
            {
                tally.Add(sample.Frames, samples);
                own.Add(sample.Frames, samples);
            }
            else if (sample.Frames.Count > 0)
            {
                var where = (sample.Frames.FirstOrDefault(OwnCode.IsOwnDotnetFrame) ?? sample.Frames[0], sample.Frames[0]);
                var byThread = waits.TryGetValue(sample.ThreadId, out var seen) ? seen : waits[sample.ThreadId] = [];
                byThread[where] = byThread.GetValueOrDefault(where) + samples;
            }
        }

        if (functionsPath is not null)
        {
            File.WriteAllBytes(functionsPath, AutoCaptureJson.Serialize(tally.Histogram()));
        }

        return new CpuProfileSummary(
            DurationSeconds: samplesByStack.Count == 0 ? 0 : Math.Round((last - first) / 1000, 3),
            tally.SampleCount,
            threads.Count,
            tally.TopExclusive(topFrames),
            tally.TopInclusive(topFrames))
        {
            ThreadGroups = groups.Top(tally.SampleCount),
            TopOwn = own.Top(topFrames),
            Waits = Waits(waits),
            Locks = [.. Locks(trace.LockWaits(), places).Take(DefaultTopLocks)],
            // The sampler takes each managed thread once a millisecond.
            OnCpuSeconds = tally.SampleCount / 1000.0,
        };
    }

    /// <summary>
    /// Lock waits by the thread that owned the lock, the longest total wait first, each side placed by the application
    /// frame its thread was sampled in most: that is where the waiters queue and where the owner sits on the lock.
    /// </summary>
    internal static IEnumerable<LockContention> Locks(List<(long Waiter, long Owner, double Seconds)> waits, IReadOnlyDictionary<long, Dictionary<string, long>> places)
    {
        string? PlaceOf(long thread) => places.TryGetValue(thread, out var frames) ? frames.MaxBy(f => f.Value).Key : null;
        return waits
            .GroupBy(w => w.Owner)
            .Select(g => new LockContention(
                g.Key,
                g.Select(w => w.Waiter).Distinct().Count(),
                Math.Round(g.Sum(w => w.Seconds), 3),
                Math.Round(g.Max(w => w.Seconds), 3),
                g.Select(w => PlaceOf(w.Waiter)).OfType<string>().GroupBy(p => p).MaxBy(p => p.Count())?.Key,
                PlaceOf(g.Key)))
            .OrderByDescending(l => l.WaitSeconds);
    }

    /// <summary>Each waiting thread counted once, where it waited most; the busiest places first.</summary>
    private static List<WaitStat> Waits(Dictionary<long, Dictionary<(string Frame, string Innermost), long>> waits) => waits.Values
        .Select(places => places.MaxBy(p => p.Value).Key)
        .GroupBy(place => place.Frame, StringComparer.Ordinal)
        .Select(g => new WaitStat(g.Key, g.Count(), g.First().Innermost))
        .OrderByDescending(w => w.ThreadCount)
        .ThenBy(w => w.Frame, StringComparer.Ordinal)
        .Take(DefaultTopFrames)
        .ToList();
}
