using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Functions.Links;

namespace AutoCapture.Functions.Chat;

public sealed record ChatLink(string Text, string Url);

/// <summary>What a chat message says about a capture, before any one chat service's formatting.</summary>
public sealed record ChatMessage(
    string CaptureId,
    string Title,
    string Headline,
    IReadOnlyList<(string Name, string Value)> Fields,
    IReadOnlyList<string> Findings,
    IReadOnlyList<ChatLink> Links)
{
    /// <summary>The post this message follows up, when the capture's start was posted (Slack bot: update it, reply in its thread).</summary>
    public ChatPost? FollowUp { get; init; }

    /// <summary>The capture's whole record, for services that take it as it is (the generic webhook).</summary>
    public CaptureManifest? Manifest { get; init; }

    public static ChatMessage For(CaptureManifest manifest, PublicUrls urls)
    {
        var icon = manifest.Status switch
        {
            CaptureStatus.Complete => "✅",
            CaptureStatus.Failed => "❌",
            CaptureStatus.Skipped => "⏭️",
            _ => "⏳",
        };
        var kinds = string.Join(", ", manifest.Captures.Select(c => KindLabel(c, manifest.Target.Process.Runtime)));
        var headline = manifest.Status switch
        {
            CaptureStatus.Complete => $"Captured {kinds} of {Where(manifest)}",
            CaptureStatus.Failed => $"Capture failed: {manifest.Error}",
            CaptureStatus.Skipped => $"Capture skipped: {manifest.SkipReason}",
            _ => $"Capturing {kinds} of {Where(manifest)}",
        };

        var fields = new List<(string, string)>
        {
            ("Alert", $"{manifest.Alert.Name} ({manifest.Alert.Source}, since {manifest.Alert.StartsAt.UtcDateTime:yyyy-MM-dd HH:mm}Z)"),
            ("Target", manifest.Target.ToString()),
            ("Rule", manifest.Rule),
            ("Status", manifest.Status.ToString().ToLowerInvariant()),
        };
        foreach (var kind in manifest.Kinds)
        {
            var size = manifest.Artifacts.Where(a => a.Kind == kind.Kind).Sum(a => a.Size);
            fields.Add((kind.Kind, kind.Outcome == KindOutcome.Succeeded
                ? $"{kind.Seconds:0.#} s, {Units.Bytes(size)}"
                : $"failed: {kind.Error}"));
        }

        // The comparison with a healthy capture comes first: what is different is the question during an incident.
        var findings = new List<string>(DiffFindings.For(manifest.Diff));
        if (manifest.Summary?.Cpu is { } cpu)
        {
            findings.Add($"CPU: {cpu.Describe()}. Hottest (self time):");
            // Frames under half a percent are noise in a chat message; the capture page and artifacts keep them.
            findings.AddRange(cpu.TopExclusive.Where(f => f.Percent >= 0.5).Take(5).Select(f => $"  {f.Percent,5:0.0}%  {f.Frame}"));
        }

        if (manifest.Summary?.Stacks is { } stacks)
        {
            findings.Add($"Stacks: {stacks.ThreadCount} managed threads. Where most are:");
            findings.AddRange(stacks.Threads
                .Select(t => TopManagedFrame(t.Frames))
                .OfType<string>()
                .GroupBy(frame => frame)
                .OrderByDescending(g => g.Count())
                .Take(3)
                .Select(g => $"  {g.Count()} × {g.Key}"));
        }

        if (manifest.Summary is { } summary)
        {
            findings.AddRange(ThreadGroupFindings(summary.Cpu));
            findings.AddRange(HeapFindings(summary.Heap));
            findings.AddRange(GoroutineFindings(summary.Goroutines));
            findings.AddRange(CounterFindings(summary.Counters));
        }

        findings.AddRange(manifest.Notes);
        var links = new List<ChatLink> { new("Capture page", urls.CapturePage(manifest.Id)) };
        links.AddRange(manifest.Artifacts.Select(a => new ChatLink($"{a.Name} ({Units.Bytes(a.Size)})", urls.Artifact(manifest.Id, a.Name))));
        return new ChatMessage(manifest.Id, $"{icon} {manifest.Alert.Name}: {manifest.Target.Host}", headline, fields, findings, links);
    }

    /// <summary>.NET cpu: the busiest group of threads (threads started the same way) and its hottest frame.</summary>
    private static IEnumerable<string> ThreadGroupFindings(CpuProfileSummary? cpu)
    {
        if (cpu?.ThreadGroups is not [var busiest, ..])
        {
            yield break;
        }

        var hottest = busiest.TopExclusive.Count > 0 ? $", hottest {busiest.TopExclusive[0].Frame}" : string.Empty;
        yield return $"Busiest threads: {busiest.ThreadCount} started in {busiest.Group} ({busiest.Percent:0.#}% of CPU samples{hottest})";
    }

    /// <summary>What holds the heap: the top types (.NET) or allocation sites (Go) by bytes.</summary>
    private static IEnumerable<string> HeapFindings(HeapSummary? heap)
    {
        if (heap is null)
        {
            yield break;
        }

        var objects = heap.TotalObjects is { } count ? $" in {count.ToString("N0", CultureInfo.InvariantCulture)} objects" : string.Empty;
        var pause = heap.PauseMilliseconds is { } ms ? $" (snapshot GC paused the process {ms:0.#} ms)" : string.Empty;
        yield return $"Heap: {Units.Bytes(heap.TotalBytes)}{objects}{pause}. Largest by {(heap.GroupedBy == "type" ? "type" : "allocating function")}:";
        foreach (var entry in heap.Top.Take(3))
        {
            var entryObjects = entry.Objects is { } n ? $", {n.ToString("N0", CultureInfo.InvariantCulture)} objects" : string.Empty;
            yield return $"  {entry.Percent,5:0.0}%  {entry.Name} ({Units.Bytes(entry.Bytes)}{entryObjects})";
        }
    }

    /// <summary>The largest goroutine groups: a leak is one big group waiting a long time.</summary>
    private static IEnumerable<string> GoroutineFindings(GoroutineSummary? goroutines)
    {
        if (goroutines is null)
        {
            yield break;
        }

        var longest = goroutines.LongestWaitMinutes is { } minutes ? $", longest wait {minutes} min" : string.Empty;
        yield return $"Goroutines: {goroutines.Total.ToString("N0", CultureInfo.InvariantCulture)} in {goroutines.GroupCount} groups{longest}. Largest:";
        foreach (var group in goroutines.Groups.Take(3))
        {
            var where = group.Frames.FirstOrDefault(f => !f.StartsWith("runtime.", StringComparison.Ordinal) && f != "…") ?? (group.Frames.Count > 0 ? group.Frames[0] : "?");
            var wait = group.MaxWaitMinutes is { } max ? $", up to {max} min" : string.Empty;
            yield return $"  {group.Count} × [{group.State}{wait}] {where}";
        }
    }

    /// <summary>Counters that stand out first (busy CPU, GC time, queued work, contention, exceptions), then the heap size.</summary>
    private static IEnumerable<string> CounterFindings(RuntimeCountersSummary? counters)
    {
        if (counters is null)
        {
            yield break;
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

        Check("cpu-usage", c => c.Max >= 80, c => $"CPU up to {c.Max:0}%");
        Check("time-in-gc", c => c.Max >= 10, c => $"time in GC up to {c.Max:0}%");
        Check("threadpool-queue-length", c => c.Max >= 10, c => $"thread pool queue up to {c.Max:0} ({(byName.TryGetValue("threadpool-thread-count", out var t) ? $"{t.Last:0} threads" : "threads unknown")})");
        Check("monitor-lock-contention-count", c => c.Max >= 10, c => $"{c.Max:0} lock contentions/s");
        Check("exception-count", c => c.Max >= 1, c => $"{c.Max:0} exceptions/s");
        Check("gc-heap-size", _ => false, c => $"GC heap {c.Last:0.#} MB");
        Check("alloc-rate", c => c.Max >= 500 * 1024 * 1024, c => $"allocating up to {Units.Bytes((long)c.Max)}/s");
        Check("heap-alloc", _ => false, c => $"Go heap {Units.Bytes((long)c.Last)}");
        Check("goroutines", c => c.Last >= 10_000, c => $"{c.Last:0} goroutines");
        var window = counters.WindowSeconds > 0 ? $" over {counters.WindowSeconds:0.#} s" : string.Empty;
        var shown = notable.Select(n => $"⚠ {n}").Concat(context).Take(6).ToList();
        if (shown.Count > 0)
        {
            yield return $"Counters{window}: {string.Join(", ", shown)}";
        }
    }

    /// <summary>The innermost frame that says something: "[native code]" alone does not tell where a thread waits.</summary>
    private static string? TopManagedFrame(IReadOnlyList<string> frames) =>
        frames.FirstOrDefault(f => !f.StartsWith('[')) ?? (frames.Count > 0 ? frames[0] : null);

    // The gops agent answers counters with one reading, whatever window the rule asked for.
    private static string KindLabel(CaptureSpec spec, string runtime) =>
        spec.Kind == CaptureKinds.Counters && runtime == Runtimes.Go ? "counters (one reading)"
        : spec.DurationSeconds is { } s ? $"{spec.Kind} {s} s"
        : spec.Kind;

    /// <summary>The process and its host; a target reached by address names its host already.</summary>
    private static string Where(CaptureManifest manifest)
    {
        var host = manifest.Target.Host;
        if (manifest.Target.Process.Address is not { } address)
        {
            return $"{manifest.Process?.ToString() ?? manifest.Target.Process.ToString()} on {host}";
        }

        var process = manifest.Process?.ToString() ?? ResolvedProcess.AtAddress(address);
        return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Host == host ? process : $"{process} on {host}";
    }
}
