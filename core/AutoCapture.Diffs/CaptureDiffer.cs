using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Summaries;
using AutoCapture.Profiles;
using AutoCapture.Profiles.Goroutines;
using AutoCapture.Profiles.Histograms;
using AutoCapture.Profiles.Pprof;

namespace AutoCapture.Diffs;

/// <summary>A baseline to compare with, and how it was chosen (schedule, peer, chosen).</summary>
public sealed record DiffBaseline(ICaptureFiles Files, string Basis);

/// <summary>
/// Compares a capture with its baseline, kind by kind, from their stored artifacts and summaries only, so the same
/// diff can be computed on completion and again weeks later. A kind that cannot be compared (missing on one side,
/// unreadable) gets a note and never stops the others. Writes diff.json and, per profile, a comparison file people
/// can open (<c>{kind}.diff.pb.gz</c> for pprof, <c>cpu.diff.speedscope.json</c> for .NET).
/// </summary>
public static class CaptureDiffer
{
    /// <summary>Entries per list on the manifest; diff.json keeps the full top lists.</summary>
    public const int ManifestTop = 5;

    /// <summary>The basis of a diff with a baseline someone named (the capture API's <c>?baseline=</c>).</summary>
    public const string ChosenBasis = "chosen";

    /// <summary>Profiles larger than this are not read whole into memory for a diff.</summary>
    public const long MaxProfileBytes = 512L * 1024 * 1024;

    private static readonly string[] PprofKinds = [CaptureKinds.Cpu, CaptureKinds.Heap, CaptureKinds.Allocs, CaptureKinds.Block, CaptureKinds.Mutex, CaptureKinds.ThreadCreate];

    /// <param name="basis">How the baseline was chosen (schedule, peer, chosen).</param>
    /// <param name="writer">Where diff.json and the comparison files go; null to compute only.</param>
    public static Task<CaptureDiff> DiffAsync(ICaptureFiles incident, ICaptureFiles baseline, string basis, IDiffArtifactWriter? writer, CancellationToken cancellationToken) =>
        DiffAsync(incident, [new DiffBaseline(baseline, basis)], writer, cancellationToken);

    /// <summary>
    /// Compares each kind with the first of <paramref name="baselines"/> that captured it (the newest baseline of each
    /// kind: a kind that failed in one baseline is taken from an earlier one).
    /// </summary>
    public static async Task<CaptureDiff> DiffAsync(ICaptureFiles incident, IReadOnlyList<DiffBaseline> baselines, IDiffArtifactWriter? writer, CancellationToken cancellationToken)
    {
        if (baselines.Count == 0)
        {
            throw new ArgumentException("a diff needs at least one baseline", nameof(baselines));
        }

        var run = new Run(incident, baselines, writer);
        await run.CompareAsync(cancellationToken);
        var primary = run.Used.GroupBy(u => u.Value).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? baselines[0];
        var diff = new CaptureDiff
        {
            BaselineId = primary.Files.Manifest.Id,
            Basis = primary.Basis,
            BaselineTarget = primary.Files.Manifest.Target.ToString(),
            BaselineCompletedAt = primary.Files.Manifest.CompletedAt,
            BaselineByKind = run.Used.Values.Distinct().Count() > 1 ? run.Used.ToDictionary(u => u.Key, u => u.Value.Files.Manifest.Id, StringComparer.Ordinal) : null,
            Profiles = run.Profiles.Count > 0 ? run.Profiles : null,
            Goroutines = run.Goroutines,
            Threads = run.Threads,
            HeapTypes = run.HeapTypes,
            Counters = run.Counters,
            Notes = run.Notes,
        };
        diff = diff with { Headlines = DiffHeadlines.For(diff) };
        if (writer is null)
        {
            return diff with { Artifacts = run.Artifacts };
        }

        diff = diff with { Artifacts = [DiffArtifacts.DiffJson, .. run.Artifacts] };
        var json = AutoCaptureJson.Serialize(diff, indented: true);
        await writer.WriteAsync(DiffArtifacts.DiffJson, "application/json", (stream, token) => stream.WriteAsync(json, token).AsTask(), cancellationToken);
        return diff;
    }

    /// <summary>The diff as the manifest carries it: every section cut to its first <paramref name="top"/> entries.</summary>
    public static CaptureDiff Trim(CaptureDiff diff, int top = ManifestTop) => diff with
    {
        Profiles = diff.Profiles?.ToDictionary(p => p.Key, p => p.Value with { Increased = [.. p.Value.Increased.Take(top)], Decreased = [.. p.Value.Decreased.Take(top)] }, StringComparer.Ordinal),
        Goroutines = diff.Goroutines is { } g ? g with { Changes = [.. g.Changes.Take(top)] } : null,
        Threads = diff.Threads is { } t ? t with { Changes = [.. t.Changes.Take(top)] } : null,
        HeapTypes = diff.HeapTypes is { } h ? h with { ByBytes = [.. h.ByBytes.Take(top)], ByObjects = [.. h.ByObjects.Take(top)] } : null,
        Counters = diff.Counters is { } c ? c with { Beyond = [.. c.Beyond.Take(top)] } : null,
    };

    /// <summary>The kinds a capture succeeded in.</summary>
    public static IEnumerable<string> Succeeded(CaptureManifest manifest) =>
        manifest.Kinds.Where(k => k.Outcome == KindOutcome.Succeeded).Select(k => k.Kind);

    private sealed class Run(ICaptureFiles incident, IReadOnlyList<DiffBaseline> baselines, IDiffArtifactWriter? writer)
    {
        private ICaptureFiles baseline = baselines[0].Files;

        public Dictionary<string, ProfileDiff> Profiles { get; } = new(StringComparer.Ordinal);
        public GroupsDiff? Goroutines { get; private set; }
        public GroupsDiff? Threads { get; private set; }
        public HeapTypesDiff? HeapTypes { get; private set; }
        public CountersDiff? Counters { get; private set; }
        public List<string> Notes { get; } = [];
        public List<string> Artifacts { get; } = [];

        /// <summary>Which baseline each compared kind was compared with.</summary>
        public Dictionary<string, DiffBaseline> Used { get; } = new(StringComparer.Ordinal);

        private string Runtime => incident.Manifest.Target.Process.Runtime;

        public async Task CompareAsync(CancellationToken cancellationToken)
        {
            var sameRuntime = baselines.Where(b => b.Files.Manifest.Target.Process.Runtime == Runtime).ToList();
            if (sameRuntime.Count == 0)
            {
                Notes.Add($"nothing compared: the baseline is a {baselines[0].Files.Manifest.Target.Process.Runtime} target, this capture a {Runtime} one");
                return;
            }

            foreach (var failed in incident.Manifest.Kinds.Where(k => k.Outcome == KindOutcome.Failed))
            {
                Notes.Add($"{failed.Kind}: not compared: it failed in this capture ({failed.Error})");
            }

            foreach (var kind in Succeeded(incident.Manifest))
            {
                if (sameRuntime.FirstOrDefault(b => Succeeded(b.Files.Manifest).Contains(kind, StringComparer.Ordinal)) is not { } chosen)
                {
                    Notes.Add($"{kind}: not compared: {(baselines.Count == 1 ? $"the baseline has no {kind} capture" : $"no baseline has a {kind} capture")}");
                    continue;
                }

                baseline = chosen.Files;
                try
                {
                    await CompareKindAsync(kind, cancellationToken);
                    Used[kind] = chosen;
                }
                catch (Exception e) when (e is ProfileFormatException or JsonException or FormatException or InvalidOperationException or InvalidDataException or Core.Storage.StoreException)
                {
                    Notes.Add($"{kind}: not compared: {e.Message}");
                }
            }
        }

        private Task CompareKindAsync(string kind, CancellationToken cancellationToken) => (kind, Runtime) switch
        {
            (CaptureKinds.Cpu, Runtimes.Dotnet) => DotnetCpuAsync(cancellationToken),
            (CaptureKinds.Heap, Runtimes.Dotnet) => HeapTypesAsync(cancellationToken),
            (CaptureKinds.Goroutines, _) => GoroutinesAsync(cancellationToken),
            (CaptureKinds.Stacks, _) => ThreadsAsync(),
            (CaptureKinds.Counters, _) => CountersAsync(),
            _ when PprofKinds.Contains(kind) => PprofAsync(kind, cancellationToken),
            _ => NotComparable(kind),
        };

        private static Task NotComparable(string kind) =>
            throw new FormatException($"a {kind} capture has no diff; open both");

        private async Task PprofAsync(string kind, CancellationToken cancellationToken)
        {
            var name = DiffArtifacts.Pprof(kind);
            var incidentData = await ReadAllAsync(incident, name, cancellationToken);
            var baselineData = await ReadAllAsync(baseline, name, cancellationToken);
            var comment = $"AutoCapture: capture {incident.Manifest.Id} minus baseline {baseline.Manifest.Id} (scaled to the capture's totals)";
            PprofComparison? comparison = null;
            var isOwn = GoCode().IsOwn;
            if (writer is null)
            {
                comparison = PprofDiffProfile.Compare(incidentData, baselineData, Stream.Null, comment, isOwn, OwnCode.IsGoProfilerFrame);
            }
            else
            {
                await writer.WriteAsync(DiffArtifacts.PprofDiff(kind), "application/octet-stream", (stream, _) =>
                {
                    comparison = PprofDiffProfile.Compare(incidentData, baselineData, stream, comment, isOwn, OwnCode.IsGoProfilerFrame);
                    return Task.CompletedTask;
                }, cancellationToken);
                Artifacts.Add(DiffArtifacts.PprofDiff(kind));
            }

            Profiles[kind] = ProfileComparer.Compare(comparison!.Baseline, comparison.Incident);
        }

        private async Task DotnetCpuAsync(CancellationToken cancellationToken)
        {
            static bool Complete(FunctionHistogram h) => h.SampleType is not null && h.Unit is not null && h.Functions is not null && h.Functions.All(f => f?.Name is not null);
            var before = await ReadJsonAsync<FunctionHistogram>(baseline, DiffArtifacts.CpuFunctions, Complete, cancellationToken);
            var after = await ReadJsonAsync<FunctionHistogram>(incident, DiffArtifacts.CpuFunctions, Complete, cancellationToken);
            Profiles[CaptureKinds.Cpu] = ProfileComparer.Compare(before, after);
            if (writer is null)
            {
                return;
            }

            await using var incidentTrace = await incident.OpenAsync(DiffArtifacts.CpuSpeedscope, cancellationToken);
            await using var baselineTrace = await baseline.OpenAsync(DiffArtifacts.CpuSpeedscope, cancellationToken);
            if (incidentTrace is null || baselineTrace is null)
            {
                Notes.Add($"cpu: no {DiffArtifacts.CpuSpeedscopeDiff}: {(incidentTrace is null ? "this capture" : "the baseline")} has no {DiffArtifacts.CpuSpeedscope}");
                return;
            }

            var title = $"capture {incident.Manifest.Id} and baseline {baseline.Manifest.Id}";
            await writer.WriteAsync(DiffArtifacts.CpuSpeedscopeDiff, "application/json", (stream, token) => SpeedscopeMerger.MergeAsync(incidentTrace, baselineTrace, stream, title, token), cancellationToken);
            Artifacts.Add(DiffArtifacts.CpuSpeedscopeDiff);
        }

        private async Task HeapTypesAsync(CancellationToken cancellationToken)
        {
            static bool Complete(TypeHistogram h) => h.Types is not null && h.Types.All(t => t?.Name is not null);
            HeapTypes = HeapTypeComparer.Compare(
                await ReadJsonAsync<TypeHistogram>(baseline, DiffArtifacts.HeapTypes, Complete, cancellationToken),
                await ReadJsonAsync<TypeHistogram>(incident, DiffArtifacts.HeapTypes, Complete, cancellationToken));
        }

        private async Task GoroutinesAsync(CancellationToken cancellationToken) =>
            Goroutines = GroupComparer.Compare(
                await GoroutineGroupsAsync(baseline, cancellationToken),
                await GoroutineGroupsAsync(incident, cancellationToken),
                GoCode().IsOwn);

        /// <summary>What both summaries learned of the dependencies, so a diff counts own code as their findings do.</summary>
        private GoOwnCode GoCode() => GoOwnCode.For(incident.Manifest.Summary, baseline.Manifest.Summary);

        private Task ThreadsAsync()
        {
            if (baseline.Manifest.Summary?.Stacks is not { } before || incident.Manifest.Summary?.Stacks is not { } after)
            {
                Notes.Add("stacks: not compared: a summary has no stacks section");
                return Task.CompletedTask;
            }

            Threads = GroupComparer.Compare(StackGroups.FromThreads(before), StackGroups.FromThreads(after), OwnCode.IsOwnDotnetFrame);
            return Task.CompletedTask;
        }

        private Task CountersAsync()
        {
            if (baseline.Manifest.Summary?.Counters is not { } before || incident.Manifest.Summary?.Counters is not { } after)
            {
                Notes.Add("counters: not compared: a summary has no counters section");
                return Task.CompletedTask;
            }

            Counters = CounterComparer.Compare(before, after);
            return Task.CompletedTask;
        }

        private static async Task<IReadOnlyList<StackGroup>> GoroutineGroupsAsync(ICaptureFiles capture, CancellationToken cancellationToken)
        {
            await using var stream = await OpenRequiredAsync(capture, DiffArtifacts.GoroutineDump, cancellationToken);
            using var reader = new StreamReader(stream);
            return StackGroups.FromGoroutines(GoroutineDump.Parse(reader));
        }

        /// <param name="complete">Whether the document has every part a diff reads (JSON leaves missing members null).</param>
        private static async Task<T> ReadJsonAsync<T>(ICaptureFiles capture, string name, Func<T, bool> complete, CancellationToken cancellationToken)
        {
            await using var stream = await OpenRequiredAsync(capture, name, cancellationToken);
            T value;
            try
            {
                value = await AutoCaptureJson.DeserializeAsync<T>(stream, cancellationToken);
            }
            catch (JsonException e)
            {
                throw new JsonException($"{name} of capture {capture.Manifest.Id} is not readable: {e.Message}", e);
            }

            return complete(value) ? value : throw new FormatException($"{name} of capture {capture.Manifest.Id} lacks parts a diff needs (names, lists)");
        }

        private static async Task<byte[]> ReadAllAsync(ICaptureFiles capture, string name, CancellationToken cancellationToken)
        {
            var size = capture.Manifest.Artifacts.FirstOrDefault(a => a.Name == name)?.Size ?? 0;
            if (size > MaxProfileBytes)
            {
                throw new ProfileFormatException($"{name} of capture {capture.Manifest.Id} is {Units.Bytes(size)}, more than the {Units.Bytes(MaxProfileBytes)} a diff reads");
            }

            await using var stream = await OpenRequiredAsync(capture, name, cancellationToken);
            using var buffer = new MemoryStream((int)Math.Max(size, 0));
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }

        private static async Task<Stream> OpenRequiredAsync(ICaptureFiles capture, string name, CancellationToken cancellationToken) =>
            await capture.OpenAsync(name, cancellationToken)
            ?? throw new FormatException($"capture {capture.Manifest.Id} has no {name} (taken before diffs were supported, or deleted)");
    }
}
