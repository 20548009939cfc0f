using System.Diagnostics;
using System.Globalization;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;

namespace AutoCapture.Benchmarks;

// Usage: autocapture-benchmarks <diff-pprof|diff-goroutines> [options]
//   diff-pprof [--mb 10]                  diff two synthetic gzip CPU profiles of about that size (each run in a fresh process)
//   diff-goroutines [--count 50000]       diff two debug=2 dumps of a real Go process with that many leaked goroutines
// Both run the webhook app's path: CaptureDiffer over the two captures' artifacts, writing diff.json (and for pprof
// the comparison profile) to a scratch folder.
internal sealed class DiffBenchmarks(string[] args)
{
    private readonly string work = Directory.CreateTempSubdirectory("autocapture-diff-bench-").FullName;

    public static Task<int> RunAsync(string[] args) => new DiffBenchmarks(args).RunAsync();

    private string Option(string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private async Task<int> RunAsync()
    {
        try
        {
            switch (args[0])
            {
                case "diff-pprof":
                    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
                    await PprofAsync(double.Parse(Option("--mb", "10"), CultureInfo.InvariantCulture));
                    break;
                case "diff-pprof-files":
                    await PprofFilesAsync(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
                    break;
                case "diff-goroutines":
                    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
                    await GoroutinesAsync(int.Parse(Option("--count", "50000"), CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"unknown diff benchmark '{args[0]}'");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task PprofAsync(double megabytes)
    {
        var baseline = Path.Combine(work, "baseline.pb.gz");
        var incident = Path.Combine(work, "incident.pb.gz");
        await File.WriteAllBytesAsync(baseline, SyntheticCpuProfile.Build((long)(megabytes * 1024 * 1024), seed: 42));
        await File.WriteAllBytesAsync(incident, SyntheticCpuProfile.Build((long)(megabytes * 1024 * 1024), seed: 43));
        Console.WriteLine($"profiles: {new FileInfo(baseline).Length / 1048576.0:0.00} MiB and {new FileInfo(incident).Length / 1048576.0:0.00} MiB gzip");
        // Fresh processes: one diff alone for the peak memory of one diff, five for the time.
        foreach (var runs in new[] { "1", "5" })
        {
            var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["diff-pprof-files", baseline, incident, runs]) { RedirectStandardOutput = true })!;
            Console.Write(await child.StandardOutput.ReadToEndAsync());
            await child.WaitForExitAsync();
        }

        Console.WriteLine(Measure.RunProcessWithPeak("anchor: go tool pprof -top -nodecount=20 -normalize -diff_base (same files)", 3, "go", "tool", "pprof", "-top", "-nodecount=20", "-normalize", $"-diff_base={baseline}", incident));
    }

    private async Task PprofFilesAsync(string baseline, string incident, int runs)
    {
        var before = Capture("20260101-00000000000000b1", Runtimes.Go, CaptureKinds.Cpu, ("cpu.pb.gz", baseline));
        var after = Capture("20260101-00000000000000a1", Runtimes.Go, CaptureKinds.Cpu, ("cpu.pb.gz", incident));
        CaptureDiff? diff = null;
        var result = Measure.Run("AutoCapture diff (CaptureDiffer: both parsed, compared, cpu.diff.pb.gz and diff.json written), fresh process", runs, () =>
            diff = CaptureDiffer.DiffAsync(after, before, BaselineMark.Schedule, new FolderDiffArtifactWriter(Path.Combine(work, "out")), CancellationToken.None).GetAwaiter().GetResult());
        var cpu = diff!.Profiles![CaptureKinds.Cpu];
        Console.WriteLine($"diff: {cpu.Functions} functions; top increase {cpu.Increased[0].Function} {cpu.Increased[0].Delta:+0.00} pts; cpu.diff.pb.gz {new FileInfo(Path.Combine(work, "out", "cpu.diff.pb.gz")).Length / 1048576.0:0.00} MiB");
        Console.WriteLine(result);
    }

    private async Task GoroutinesAsync(int count)
    {
        using var target = await GoTarget.StartAsync(work, "-leak", count.ToString(CultureInfo.InvariantCulture), "-contention");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var baseline = Path.Combine(work, "baseline.txt");
        var incident = Path.Combine(work, "incident.txt");
        var baselineProto = Path.Combine(work, "baseline.pb.gz");
        var incidentProto = Path.Combine(work, "incident.pb.gz");
        await File.WriteAllBytesAsync(baseline, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine?debug=2")));
        await File.WriteAllBytesAsync(baselineProto, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine")));
        // The change to find: 1,000 more goroutines leaked in the same function.
        (await http.PostAsync(new Uri(target.Pprof, "/planted/leak?n=1000"), null)).EnsureSuccessStatusCode();
        await File.WriteAllBytesAsync(incident, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine?debug=2")));
        await File.WriteAllBytesAsync(incidentProto, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine")));
        Console.WriteLine($"dumps: {new FileInfo(baseline).Length / 1048576.0:0.00} MiB and {new FileInfo(incident).Length / 1048576.0:0.00} MiB text");

        var before = Capture("20260101-00000000000000b2", Runtimes.Go, CaptureKinds.Goroutines, ("goroutines.txt", baseline));
        var after = Capture("20260101-00000000000000a2", Runtimes.Go, CaptureKinds.Goroutines, ("goroutines.txt", incident));
        CaptureDiff? diff = null;
        var result = Measure.Run("AutoCapture diff (CaptureDiffer: both dumps parsed, grouped, compared, diff.json written)", 5, () =>
            diff = CaptureDiffer.DiffAsync(after, before, BaselineMark.Schedule, new FolderDiffArtifactWriter(Path.Combine(work, "out")), CancellationToken.None).GetAwaiter().GetResult());
        Console.WriteLine($"diff: {diff!.Goroutines!.BaselineTotal} → {diff.Goroutines.Total} goroutines; {diff.Headlines[0]}");
        Console.WriteLine(result);

        // Not like for like: the debug=0 profiles hold the goroutines already aggregated into a few records.
        Console.WriteLine(Measure.RunProcessWithPeak("anchor: go tool pprof -top -diff_base on the debug=0 goroutine profiles", 3, "go", "tool", "pprof", "-top", "-nodecount=20", $"-diff_base={baselineProto}", incidentProto));
    }

    private static FileCapture Capture(string id, string runtime, string kind, params (string Name, string Path)[] files) =>
        new(new CaptureManifest
        {
            Id = id,
            Status = CaptureStatus.Complete,
            Alert = new Alert("alertmanager", "Benchmark", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "f", "i"),
            Rule = "benchmark",
            Target = new CaptureTarget("http://collector:7080", "bench", new ProcessSelector(runtime, Name: "bench")),
            Captures = [new CaptureSpec(kind)],
            CreatedAt = DateTimeOffset.UnixEpoch,
            Kinds = [new KindResult(kind, KindOutcome.Succeeded, null, 1)],
            Artifacts = [.. files.Select(f => new ArtifactInfo(f.Name, kind, "application/octet-stream", new FileInfo(f.Path).Length, string.Empty))],
        }, files.ToDictionary(f => f.Name, f => f.Path));

    /// <summary>A capture whose artifacts are files on disk.</summary>
    private sealed class FileCapture(CaptureManifest manifest, Dictionary<string, string> paths) : ICaptureFiles
    {
        public CaptureManifest Manifest => manifest;

        public Task<Stream?> OpenAsync(string artifactName, CancellationToken cancellationToken) =>
            Task.FromResult<Stream?>(paths.TryGetValue(artifactName, out var path) ? File.OpenRead(path) : null);
    }
}
