using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;

namespace AutoCapture.Cli.Captures;

/// <summary><c>captures diff</c>: a comparison with a baseline as plain lines, headlines first, then each kind's movers.</summary>
internal static class DiffReport
{
    /// <param name="artifacts">The diff artifacts stored with the capture (none for a comparison made on demand).</param>
    public static void Print(string captureId, CaptureDiff diff, IReadOnlyList<ArtifactInfo> artifacts)
    {
        Console.WriteLine($"capture: {captureId}");
        var finished = diff.BaselineCompletedAt is { } at ? $", finished {at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}" : string.Empty;
        Console.WriteLine($"baseline: {diff.BaselineId} ({Basis(diff.Basis)}) of {diff.BaselineTarget}{finished}");
        foreach (var (kind, baselineId) in diff.BaselineByKind?.OrderBy(b => b.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            Console.WriteLine($"  {kind} compared with {baselineId}");
        }

        Console.WriteLine(diff.Headlines.Count > 0 ? "what changed:" : "what changed: nothing notable");
        foreach (var headline in diff.Headlines)
        {
            Console.WriteLine($"  {headline}");
        }

        foreach (var (kind, profile) in diff.Profiles?.OrderBy(p => p.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, ProfileDiff>>())
        {
            Profile(kind, profile);
        }

        Groups("goroutines", diff.Goroutines);
        Groups("threads", diff.Threads);
        HeapTypes(diff.HeapTypes);
        Counters(diff.Counters);
        if (diff.Notes.Count > 0)
        {
            Console.WriteLine("notes:");
            foreach (var note in diff.Notes)
            {
                Console.WriteLine($"  {note}");
            }
        }

        if (artifacts.Count == 0)
        {
            Console.WriteLine("artifacts: none (compared on demand: nothing was written)");
            return;
        }

        Console.WriteLine("artifacts:");
        foreach (var artifact in artifacts)
        {
            Console.WriteLine($"  {artifact.Name}\t{Units.Bytes(artifact.Size)}\tsha256 {artifact.Sha256}");
        }
    }

    private static string Basis(string basis) => basis switch
    {
        BaselineMark.Schedule => "scheduled baseline",
        BaselineMark.Peer => "peer captured alongside",
        CaptureDiffer.ChosenBasis => "chosen by hand",
        _ => basis,
    };

    private static void Profile(string kind, ProfileDiff profile)
    {
        Console.WriteLine($"{kind} profile ({profile.SampleType}): total {Units.Format(profile.BaselineTotal, profile.Unit)} → {Units.Format(profile.Total, profile.Unit)}, {Units.Count(profile.Functions)} functions; flat share of each side's total:");
        Movers("up", profile.Increased);
        Movers("down", profile.Decreased);
    }

    private static void Movers(string direction, IReadOnlyList<FunctionDelta> movers)
    {
        if (movers.Count == 0)
        {
            return;
        }

        Console.WriteLine($"  {direction}:");
        foreach (var f in movers)
        {
            Console.WriteLine($"    {Words.Points(f.Delta),7} pts  {f.BaselineFlatPercent,5:0.0}% → {f.FlatPercent,5:0.0}%  {f.Function}");
        }
    }

    private static void Groups(string what, GroupsDiff? groups)
    {
        if (groups is null)
        {
            return;
        }

        Console.WriteLine($"{what}: {Units.Count(groups.BaselineTotal)} → {Units.Count(groups.Total)}, {Units.Count(groups.Unchanged)} groups unchanged");
        foreach (var change in groups.Changes)
        {
            var creator = change.CreatedBy is { } c ? $", created by {c}" : string.Empty;
            Console.WriteLine($"  {change.Change,-8} {Units.Signed(change.After - change.Before),8} ({Units.Count(change.Before)} → {Units.Count(change.After)})  [{change.State}] {change.Where}{creator}");
        }
    }

    private static void HeapTypes(HeapTypesDiff? heap)
    {
        if (heap is null)
        {
            return;
        }

        Console.WriteLine($"heap types: {Units.Bytes(heap.BaselineBytes)} → {Units.Bytes(heap.Bytes)}, {Units.Count(heap.BaselineObjects)} → {Units.Count(heap.Objects)} objects");
        TypeLines("grown most by bytes", heap.ByBytes);
        TypeLines("grown most by objects", heap.ByObjects);
    }

    private static void TypeLines(string title, IReadOnlyList<TypeDelta> types)
    {
        if (types.Count == 0)
        {
            return;
        }

        Console.WriteLine($"  {title}:");
        foreach (var t in types)
        {
            Console.WriteLine($"    {Units.Bytes(t.BaselineBytes)} → {Units.Bytes(t.Bytes)}, {Units.Signed(t.Objects - t.BaselineObjects)} objects  {t.Type}");
        }
    }

    private static void Counters(CountersDiff? counters)
    {
        if (counters is null)
        {
            return;
        }

        Console.WriteLine($"counters beyond their normal range: {counters.Beyond.Count} of {counters.Compared} compared");
        foreach (var c in counters.Beyond)
        {
            Console.WriteLine($"  {c.DisplayName}: {c.Value:0.##} {c.Unit} (normal {c.NormalLow:0.##} to {c.NormalHigh:0.##}; baseline ended at {c.BaselineLast:0.##})");
        }
    }
}
