using System.Globalization;
using AutoCapture.Core.Captures;

namespace AutoCapture.Core.Summaries;

public enum FindingKind
{
    Locks,
    Cpu,
    Heap,
    Goroutines,
    Threads,
    Idle,
    Counters,
}

/// <param name="Text">One sentence a responder acts on, naming the application's own function, type or lock holder.</param>
/// <param name="Evidence">The figures it rests on, one indented line each.</param>
public sealed record Finding(FindingKind Kind, string Text, IReadOnlyList<string> Evidence);

/// <summary>
/// The findings model: from a capture's summaries, ranked findings, most telling first. Chat, the capture page and
/// the CLI render this one list, so a new capture kind adds its findings here and everywhere at once.
/// </summary>
public static class CaptureFindings
{
    /// <summary>Below this share of one core over the capture, a process is idle and its hottest frames are noise.</summary>
    public const double IdleCoreShare = 0.05;

    /// <summary>Lock waits under this share of one thread's time over the capture are ordinary contention.</summary>
    public const double LockWaitShare = 0.25;

    /// <summary>Rows under this share (percent) are noise next to what leads; the artifacts keep them.</summary>
    public const double MinimumShare = 0.5;

    private const int EvidenceLines = 5;

    public static IReadOnlyList<Finding> For(CaptureSummary summary, string runtime)
    {
        var findings = new List<Finding>();
        var isOwn = OwnCode.For(summary, runtime);
        if (summary.Stacks is { } stacks)
        {
            findings.Add(Threads(stacks, isOwn));
        }

        findings.AddRange(GoLockWaits(summary.Profiles, isOwn));
        if (summary.Cpu is { } cpu)
        {
            findings.AddRange(Locks(cpu));
            findings.Add(Cpu(cpu, isOwn));
        }

        if (summary.Heap is { } heap)
        {
            findings.Add(Heap(heap, isOwn));
        }

        if (summary.Goroutines is { } goroutines)
        {
            findings.Add(Goroutines(goroutines, isOwn));
        }

        if (Counters(summary.Counters) is { } counters)
        {
            findings.Add(counters);
        }

        return [.. findings.OrderBy(f => f.Kind)];
    }

    /// <summary>Each finding's sentence, then its evidence: the text every renderer shows.</summary>
    public static IEnumerable<string> Lines(IEnumerable<Finding> findings) => findings.SelectMany(f => f.Evidence.Prepend(f.Text));

    private static Finding Cpu(CpuProfileSummary cpu, Func<string, bool> isOwn)
    {
        var evidence = new List<string> { $"CPU: {cpu.Describe()}. Hottest (self time):" };
        evidence.AddRange(cpu.TopExclusive.Where(f => f.Percent >= MinimumShare).Take(EvidenceLines).Select(f => $"  {f.Percent,5:0.0}%  {f.Frame}"));
        if (cpu.SampleCount == 0 || cpu.OnCpuSeconds < IdleCoreShare * cpu.DurationSeconds)
        {
            var waits = cpu.Waits is { Count: > 0 } w
                ? $"; threads wait in {string.Join(", ", w.Take(3).Select(s => $"{OwnCode.Short(s.Frame)} ({s.ThreadCount})"))}"
                : string.Empty;
            return new Finding(FindingKind.Idle, Invariant($"idle: {cpu.SampleCount:N0} on-CPU samples in {cpu.DurationSeconds:0.#} s{waits}"), evidence);
        }

        if (HottestOwn(cpu, isOwn) is { } own)
        {
            var leaf = own.Leaf != own.Frame ? $"; hottest leaf inside it: {OwnCode.Short(own.Leaf)}" : string.Empty;
            return new Finding(FindingKind.Cpu, Invariant($"{own.Percent:0.#}% of CPU is in {OwnCode.Short(own.Frame)} (own code{leaf})"), evidence);
        }

        var top = cpu.TopExclusive[0];
        return new Finding(FindingKind.Cpu, Invariant($"{top.Percent:0.#}% of CPU is in {OwnCode.Short(top.Frame)} (no application frame on its stacks)"), evidence);
    }

    /// <summary>
    /// The collector's own-frame ranking; a summary written before it existed falls back to the first own frame by
    /// inclusive time, with the hottest self-time frame as its leaf.
    /// </summary>
    private static OwnFrameStat? HottestOwn(CpuProfileSummary cpu, Func<string, bool> isOwn)
    {
        if (cpu.TopOwn is { } ranked)
        {
            return ranked.Count > 0 ? ranked[0] : null;
        }

        return cpu.TopInclusive.FirstOrDefault(f => isOwn(f.Frame)) is { } inclusive && cpu.TopExclusive.Count > 0
            ? new OwnFrameStat(inclusive.Frame, inclusive.Samples, inclusive.Percent, cpu.TopExclusive[0].Frame, cpu.TopExclusive[0].Percent)
            : null;
    }

    /// <summary>A convoy: who waits, where, and the thread that holds the lock they wait for.</summary>
    private static IEnumerable<Finding> Locks(CpuProfileSummary cpu)
    {
        // Waits adding up to less than a quarter of one thread's time are ordinary contention, not the story.
        if (cpu.Locks is not [var top, ..] || top.WaitSeconds < LockWaitShare * cpu.DurationSeconds)
        {
            yield break;
        }

        var where = top.WaitingIn is { } waiting ? $" in {OwnCode.Short(waiting)}" : string.Empty;
        var held = top.HolderIn is { } holder ? $" in {OwnCode.Short(holder)}" : string.Empty;
        var text = Invariant($"{top.Waiters} threads are blocked entering a lock{where}; the lock is held by thread 0x{top.OwnerThreadId:x}{held} for ≥ {top.LongestWaitSeconds:0.#} s");
        var evidence = cpu.Locks.Take(3).Select(l => Invariant($"  {l.Waiters} waiters, {l.WaitSeconds:0.#} s waited in all, on thread 0x{l.OwnerThreadId:x} ({l.OwnerThreadId}){(l.HolderIn is { } h ? $" in {h}" : string.Empty)}")).ToList();
        yield return new Finding(FindingKind.Locks, text, evidence);
    }

    /// <summary>
    /// Go's mutex profile (where contended locks were released, so the code that held them) and block profile (where
    /// goroutines waited), each led by the application function with the most delay beneath it. Both count from when
    /// the program turned that profiling on, so the figures are totals, not a share of the capture.
    /// </summary>
    private static IEnumerable<Finding> GoLockWaits(IReadOnlyDictionary<string, PprofSummary>? profiles, Func<string, bool> isOwn)
    {
        foreach (var (kind, what) in new[] { (CaptureKinds.Mutex, "waited for locks held in"), (CaptureKinds.Block, "were blocked in") })
        {
            if (profiles?.GetValueOrDefault(kind) is not { Unit: "nanoseconds", Total: > 0 } profile
                || profile.TopCum.FirstOrDefault(f => isOwn(f.Function)) is not { } own)
            {
                continue;
            }

            var leaf = profile.TopFlat is [var flat, ..] && flat.Function != own.Function ? $"; innermost: {OwnCode.Short(flat.Function)}" : string.Empty;
            var evidence = profile.TopFlat.Where(f => f.Percent >= MinimumShare).Take(EvidenceLines)
                .Select(f => Invariant($"  {f.Percent,5:0.0}%  {f.Function}"))
                .Prepend(Invariant($"{kind} profile: {profile.Total / 1e9:0.#} s of delay in all since profiling began. Innermost:"))
                .ToList();
            yield return new Finding(FindingKind.Locks, Invariant($"goroutines {what} {OwnCode.Short(own.Function)} for {own.Value / 1e9:0.#} s in all (own code, {kind} profile{leaf})"), evidence);
        }
    }

    /// <summary>Threads grouped by state and by the first application frame they are in: where the program's own code stands.</summary>
    private static Finding Threads(ThreadStacksSummary stacks, Func<string, bool> isOwn)
    {
        var groups = stacks.Threads
            .GroupBy(t => (Waiting: IsWaiting(t), Frame: FirstOwn(t.Frames, isOwn)))
            .Select(g => (g.Key.Waiting, g.Key.Frame, Count: g.Count(), Innermost: Innermost(g.First().Frames), Names: g.Select(t => t.Name).OfType<string>().Distinct().ToList()))
            .OrderByDescending(g => g.Count)
            .ThenBy(g => g.Frame, StringComparer.Ordinal)
            .ToList();
        var evidence = new List<string> { $"Stacks: {stacks.ThreadCount} managed threads. Where most are:" };
        evidence.AddRange(groups.Take(3).Select(g =>
            $"  {g.Count} × {(g.Waiting ? "waiting" : "running")} in {g.Frame}{(g.Innermost != g.Frame ? $" ← {g.Innermost}" : string.Empty)}{(g.Names.Count > 0 ? $" ({string.Join(", ", g.Names.Take(3))})" : string.Empty)}"));
        if (groups is not [var top, ..])
        {
            return new Finding(FindingKind.Threads, "no managed threads were sampled", evidence);
        }

        if (stacks.Locks is { Waiters.Count: > 0 } locks)
        {
            return LockHolder(stacks, locks, evidence, isOwn);
        }

        var innermost = top.Innermost != top.Frame ? $" (innermost: {OwnCode.Short(top.Innermost)})" : string.Empty;
        return new Finding(FindingKind.Threads, $"{top.Count} of {stacks.ThreadCount} threads {(top.Waiting ? "wait" : "run")} in {OwnCode.Short(top.Frame)}{innermost}", evidence);
    }

    /// <summary>
    /// A stacks snapshot with threads waiting to enter a lock: the holder the lock window named, placed by its snapshot
    /// stack, or, when no event named one, why not, rather than a guess.
    /// </summary>
    private static Finding LockHolder(ThreadStacksSummary stacks, StackLocks locks, List<string> evidence, Func<string, bool> isOwn)
    {
        var threads = stacks.Threads.ToDictionary(t => t.ThreadId);
        string Named(long id) => threads.GetValueOrDefault(id)?.Name is { } name ? $" ({name})" : string.Empty;
        evidence.Add(Invariant($"Lock window: {locks.WindowSeconds:0.##} s of contention events after the snapshot. {(locks.Holders.Count > 0 ? "Holders:" : "None named a holder.")}"));
        evidence.AddRange(locks.Holders.Take(3).Select(l => Invariant(
            $"  thread {l.OwnerThreadId}{Named(l.OwnerThreadId)}{(l.HolderIn is { } h ? $" in {h}" : " (not in the snapshot)")}: {l.Waiters} waiters, {l.WaitSeconds:0.##} s waited in the window")));
        var waitingIn = locks.Waiters.Select(threads.GetValueOrDefault).OfType<ThreadStack>()
            .GroupBy(t => FirstOwn(t.Frames, isOwn)).MaxBy(g => g.Count())?.Key ?? "?";
        if (locks.Error is { } error)
        {
            return new Finding(FindingKind.Locks, $"{Waiting(locks.Waiters.Count)} to enter a lock in {OwnCode.Short(waitingIn)}; its holder is unknown: the lock window failed ({error})", evidence);
        }

        if (locks.Holders is not [var top, ..])
        {
            return new Finding(FindingKind.Locks, Invariant(
                $"{Waiting(locks.Waiters.Count)} to enter a lock in {OwnCode.Short(waitingIn)}; no thread took or released it in {locks.WindowSeconds:0.#} s, so no event named its holder: a long hold or a deadlock; a dump capture shows the holder"), evidence);
        }

        var held = top.HolderIn is { } holder ? $" in {OwnCode.Short(holder)}" : " (not in the snapshot: it started after it, or runs no managed code)";
        return new Finding(FindingKind.Locks, Invariant(
            $"{Waiting(top.Waiters)} to enter a lock in {OwnCode.Short(top.WaitingIn ?? waitingIn)}; held by thread {top.OwnerThreadId}{Named(top.OwnerThreadId)}{held}"), evidence);
    }

    private static string Waiting(int threads) => threads == 1 ? "1 thread waits" : Invariant($"{threads} threads wait");

    private static Finding Heap(HeapSummary heap, Func<string, bool> isOwn)
    {
        var byType = heap.GroupedBy == "type";
        var objects = heap.TotalObjects is { } count ? Invariant($" in {count:N0} objects") : string.Empty;
        var pause = heap.PauseMilliseconds is { } ms ? Invariant($" (snapshot GC paused the process {ms:0.#} ms)") : string.Empty;
        var evidence = new List<string> { $"Heap: {Units.Bytes(heap.TotalBytes)}{objects}{pause}. Largest by {(byType ? "type" : "allocating function")}:" };
        evidence.AddRange(heap.Top.Where(e => e.Percent >= MinimumShare).Take(3).Select(e =>
            Invariant($"  {e.Percent,5:0.0}%  {e.Name} ({Units.Bytes(e.Bytes)}{(e.Objects is { } n ? Invariant($", {n:N0} objects") : string.Empty)})")));
        if (heap.RetainedBy is [var retained, ..])
        {
            return new Finding(FindingKind.Heap, Invariant($"{OwnCode.Short(retained.Type)} retains {Units.Bytes(retained.Bytes)}, {retained.Percent:0.#}% of the heap ({retained.Objects:N0} objects → {retained.Through})"), evidence);
        }

        if (heap.Top is not [var largest, ..])
        {
            return new Finding(FindingKind.Heap, $"the heap holds {Units.Bytes(heap.TotalBytes)}{objects}", evidence);
        }

        var own = heap.Top.FirstOrDefault(e => isOwn(e.Name)) ?? largest;
        var verb = byType ? "holds" : "allocated";
        var also = own != largest ? $"; largest overall: {largest.Name} {Units.Bytes(largest.Bytes)}" : string.Empty;
        return new Finding(FindingKind.Heap, Invariant($"{OwnCode.Short(own.Name)} {verb} {Units.Bytes(own.Bytes)} still live, {own.Percent:0.#}% of the heap{also}"), evidence);
    }

    private static Finding Goroutines(GoroutineSummary goroutines, Func<string, bool> isOwn)
    {
        var longest = goroutines.LongestWaitMinutes is { } minutes ? $", longest wait {minutes} min" : string.Empty;
        var evidence = new List<string> { Invariant($"Goroutines: {goroutines.Total:N0} in {goroutines.GroupCount} groups{longest}. Largest:") };
        evidence.AddRange(goroutines.Groups.Take(3).Select(g =>
            $"  {g.Count} × [{g.State}{(g.MaxWaitMinutes is { } max ? $", up to {max} min" : string.Empty)}] {GoroutineFrame(g, isOwn)}"));
        if (goroutines.Groups is not [var top, ..])
        {
            return new Finding(FindingKind.Goroutines, Invariant($"{goroutines.Total:N0} goroutines"), evidence);
        }

        var created = top.CreatedBy is { } creator && creator != GoroutineFrame(top, isOwn) ? $", started by {creator}" : string.Empty;
        return new Finding(FindingKind.Goroutines, Invariant($"{top.Count:N0} of {goroutines.Total:N0} goroutines are in {top.State} under {GoroutineFrame(top, isOwn)}{created}"), evidence);
    }

    private static string GoroutineFrame(GoroutineGroup group, Func<string, bool> isOwn) =>
        group.Frames.FirstOrDefault(isOwn)
        ?? group.Frames.FirstOrDefault(f => !f.StartsWith("runtime.", StringComparison.Ordinal) && f != "…")
        ?? (group.Frames.Count > 0 ? group.Frames[0] : "?");

    /// <summary>Counters that stand out first (busy CPU, GC time, queued work, contention, exceptions), then the heap size.</summary>
    private static Finding? Counters(RuntimeCountersSummary? counters)
    {
        if (counters is null)
        {
            return null;
        }

        var byName = counters.Counters.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var notable = new List<string>();
        var context = new List<string>();
        void Check(string name, Func<CounterStat, bool> standsOut, Func<CounterStat, string> describe)
        {
            if (byName.TryGetValue(name, out var counter))
            {
                (standsOut(counter) ? notable : context).Add(describe(counter));
            }
        }

        Check("cpu-usage", c => c.Max >= 80, c => Invariant($"CPU up to {c.Max:0}%"));
        Check("time-in-gc", c => c.Max >= 10, c => Invariant($"time in GC up to {c.Max:0}%"));
        Check("threadpool-queue-length", c => c.Max >= 10, c => Invariant($"thread pool queue up to {c.Max:0} ({(byName.TryGetValue("threadpool-thread-count", out var t) ? Invariant($"{t.Last:0} threads") : "threads unknown")})"));
        Check("monitor-lock-contention-count", c => c.Max >= 10, c => Invariant($"{c.Max:0} lock contentions/s"));
        Check("exception-count", c => c.Max >= 1, c => Invariant($"{c.Max:0} exceptions/s"));
        Check("gc-heap-size", _ => false, c => Invariant($"GC heap {c.Last:0.#} MB"));
        Check("alloc-rate", c => c.Max >= 500 * 1024 * 1024, c => $"allocating up to {Units.Bytes((long)c.Max)}/s");
        Check("heap-alloc", _ => false, c => $"Go heap {Units.Bytes((long)c.Last)}");
        Check("goroutines", c => c.Last >= 10_000, c => Invariant($"{c.Last:0} goroutines"));
        var window = counters.WindowSeconds > 0 ? Invariant($" over {counters.WindowSeconds:0.#} s") : string.Empty;
        var shown = notable.Select(n => $"⚠ {n}").Concat(context).Take(6).ToList();
        return shown.Count > 0 ? new Finding(FindingKind.Counters, $"Counters{window}: {string.Join(", ", shown)}", []) : null;
    }

    /// <summary>.NET marks a thread caught outside managed code (blocked, or in native code) with this first frame.</summary>
    private static bool IsWaiting(ThreadStack thread) => thread.Frames is [var first, ..] && first.StartsWith('[');

    /// <summary>The innermost frame that says something: "[native code]" alone does not tell where a thread waits.</summary>
    private static string Innermost(IReadOnlyList<string> frames) =>
        frames.FirstOrDefault(f => !f.StartsWith('[')) ?? (frames.Count > 0 ? frames[0] : "?");

    private static string FirstOwn(IReadOnlyList<string> frames, Func<string, bool> isOwn) =>
        frames.FirstOrDefault(isOwn) ?? Innermost(frames);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
