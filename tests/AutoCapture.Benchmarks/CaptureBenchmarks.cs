using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Profiles.Goroutines;
using AutoCapture.Profiles.Pprof;

namespace AutoCapture.Benchmarks;

// Usage: autocapture-benchmarks <pprof|goroutines|nettrace|overhead> [options]
//   pprof [--mb 10]                     summarise a synthetic gzip CPU profile of about that size (in a child process)
//   goroutines [--count 50000]          summarise the debug=2 dump of a real Go process with that many leaked goroutines
//   nettrace --dotnet-trace PATH [--seconds 30]   summarise a real .nettrace vs dotnet-trace convert --format speedscope
//   overhead --dotnet-trace PATH [--seconds 30] [--rounds 3]   a CPU-bound target's throughput: idle vs our cpu capture vs dotnet-trace collect
internal sealed class CaptureBenchmarks(string[] args)
{
    private readonly string work = Directory.CreateTempSubdirectory("autocapture-bench-").FullName;

    public static Task<int> RunAsync(string[] args) => new CaptureBenchmarks(args).RunAsync();

    private string Option(string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private async Task<int> RunAsync()
    {
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
            switch (args[0])
            {
                case "pprof":
                    await Pprof(double.Parse(Option("--mb", "10"), CultureInfo.InvariantCulture));
                    break;
                case "pprof-file":
                    PprofFile(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
                    break;
                case "goroutines":
                    await Goroutines(int.Parse(Option("--count", "50000"), CultureInfo.InvariantCulture));
                    break;
                case "nettrace":
                    await Nettrace(Option("--dotnet-trace", "dotnet-trace"), int.Parse(Option("--seconds", "30"), CultureInfo.InvariantCulture));
                    break;
                case "overhead":
                    await Overhead(Option("--dotnet-trace", "dotnet-trace"), int.Parse(Option("--seconds", "30"), CultureInfo.InvariantCulture), int.Parse(Option("--rounds", "3"), CultureInfo.InvariantCulture));
                    break;
                case "contention":
                    await Contention(int.Parse(Option("--seconds", "10"), CultureInfo.InvariantCulture), int.Parse(Option("--rounds", "3"), CultureInfo.InvariantCulture));
                    break;
                case "stacks-locks":
                    await StacksLocks(int.Parse(Option("--rounds", "5"), CultureInfo.InvariantCulture));
                    break;
                case "heap-edges":
                    await HeapEdges(int.Parse(Option("--archives", "262144"), CultureInfo.InvariantCulture), int.Parse(Option("--rounds", "3"), CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"unknown capture benchmark '{args[0]}'");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task Pprof(double megabytes)
    {
        var file = Path.Combine(work, "cpu.pb.gz");
        await File.WriteAllBytesAsync(file, SyntheticCpuProfile.Build((long)(megabytes * 1024 * 1024), seed: 42));
        // Measured in fresh processes: one run alone for the peak memory of one summary, five for the time.
        foreach (var runs in new[] { "1", "5" })
        {
            var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, ["pprof-file", file, runs]) { RedirectStandardOutput = true })!;
            Console.Write((await child.StandardOutput.ReadToEndAsync()).Split('\n', 2)[1]);
            await child.WaitForExitAsync();
        }

        Console.WriteLine(Measure.RunProcess("anchor: go tool pprof -top -nodecount=15 (same file)", 3, "go", "tool", "pprof", "-top", "-nodecount=15", file));
    }

    private void PprofFile(string file, int runs)
    {
        PprofProfile? parsed = null;
        var result = Measure.Run($"AutoCapture parse + summarise (the collector's work: default and samples types), fresh process", runs, () =>
        {
            parsed = PprofProfile.Parse(File.ReadAllBytes(file));
            PprofSummarizer.Summarize(parsed);
            PprofSummarizer.Summarize(parsed, "samples");
        });
        Console.WriteLine($"profile: {new FileInfo(file).Length / 1048576.0:0.00} MiB gzip, {parsed!.SampleCount} samples, {parsed.FunctionNames.Count} functions");
        Console.WriteLine(result);
    }

    private async Task Goroutines(int count)
    {
        using var target = await GoTarget.StartAsync(work, "-leak", count.ToString(CultureInfo.InvariantCulture), "-contention");
        var dump = Path.Combine(work, "goroutines.txt");
        using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) })
        {
            await File.WriteAllBytesAsync(dump, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine?debug=2")));
        }

        var proto = Path.Combine(work, "goroutines.pb.gz");
        using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) })
        {
            await File.WriteAllBytesAsync(proto, await http.GetByteArrayAsync(new Uri(target.Pprof, "/debug/pprof/goroutine")));
        }

        Console.WriteLine($"dump: {new FileInfo(dump).Length / 1048576.0:0.00} MiB text");
        GoroutineSummaryHolder.Last = null;
        var result = Measure.Run("parse + group", 5, () =>
        {
            using var reader = new StreamReader(dump);
            GoroutineSummaryHolder.Last = GoroutineGrouper.Summarize(GoroutineDump.Parse(reader));
        });
        Console.WriteLine($"goroutines: {GoroutineSummaryHolder.Last!.Total} in {GoroutineSummaryHolder.Last.GroupCount} groups; largest {GoroutineSummaryHolder.Last.Groups[0].Count} x {GoroutineSummaryHolder.Last.Groups[0].Frames[^1]}");
        Console.WriteLine(result);
        Console.WriteLine(Measure.RunProcess("anchor: go tool pprof -top on the same process's goroutine profile (debug=0)", 3, "go", "tool", "pprof", "-top", "-nodecount=15", proto));
    }

    private async Task Nettrace(string dotnetTrace, int seconds)
    {
        var trace = Path.Combine(work, "cpu.nettrace");
        using (var target = await DotnetTarget.StartAsync("cpu"))
        {
            await EventPipeRecorder.RecordAsync(target.Resolved, DotnetCpuCaptureProvider.Providers, TimeSpan.FromSeconds(seconds), trace, CancellationToken.None);
        }

        Console.WriteLine($"trace: {seconds} s, {new FileInfo(trace).Length / 1048576.0:0.00} MiB");
        var ours = new List<double>();
        var theirs = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            // Interleaved, so both see the same machine load.
            var clock = Stopwatch.StartNew();
            var summary = NettraceCpuAnalyzer.Analyze(trace, Path.Combine(work, $"ours-{round}.speedscope.json"));
            ours.Add(clock.Elapsed.TotalSeconds);
            if (round == 0)
            {
                Console.WriteLine($"summary: {summary.SampleCount} on-CPU samples, {summary.ThreadCount} threads, top {summary.TopExclusive[0].Frame}");
            }

            theirs.Add(Measure.RunProcess("dotnet-trace convert", 1, dotnetTrace, "convert", "--format", "Speedscope", "-o", Path.Combine(work, $"theirs-{round}"), trace).Seconds[0]);
        }

        Console.WriteLine($"AutoCapture NettraceCpuAnalyzer (summary + speedscope): median {ours.Order().ElementAt(1):0.000} s ({string.Join(", ", ours.Select(s => s.ToString("0.000")))})");
        Console.WriteLine($"dotnet-trace convert --format speedscope: median {theirs.Order().ElementAt(1):0.000} s ({string.Join(", ", theirs.Select(s => s.ToString("0.000")))})");
    }

    /// <summary>
    /// What the lock-owner finding costs a cpu capture: the contention events are in the cpu session's keywords anyway,
    /// so the cost is the pass over them during analysis, timed against the whole analysis of the same trace (a convoy).
    /// </summary>
    private async Task Contention(int seconds, int rounds)
    {
        var trace = Path.Combine(work, "cpu.nettrace");
        using (var target = await DotnetTarget.StartAsync("convoy"))
        {
            await EventPipeRecorder.RecordAsync(target.Resolved, DotnetCpuCaptureProvider.Providers, TimeSpan.FromSeconds(seconds), trace, CancellationToken.None);
        }

        Console.WriteLine($"trace of a lock convoy: {seconds} s, {new FileInfo(trace).Length / 1048576.0:0.00} MiB");
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            var summary = NettraceCpuAnalyzer.Analyze(trace, Path.Combine(work, $"convoy-{round}.speedscope.json"));
            var whole = clock.Elapsed.TotalMilliseconds;
            using var stacks = NettraceStacks.Open(trace);
            clock.Restart();
            var waits = stacks.LockWaits();
            var pass = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: whole analysis {whole:0} ms; contention pass {pass:0} ms ({pass / whole:P1}) over {waits.Count:N0} waits; {summary.Locks?.Count ?? 0} lock owners found"));
        }
    }

    /// <summary>
    /// A stacks capture's two phases timed apart, as the provider runs them: the snapshot (100 ms trace, analysis, OS
    /// thread names), then the lock window, which only a snapshot with threads entering a lock opens.
    /// </summary>
    private async Task StacksLocks(int rounds)
    {
        foreach (var mode in new[] { "convoy", "lock", "cpu" })
        {
            using var target = await DotnetTarget.StartAsync(mode);
            for (var round = 0; round < rounds; round++)
            {
                var trace = Path.Combine(work, $"stacks-{mode}-{round}.nettrace");
                var clock = Stopwatch.StartNew();
                await EventPipeRecorder.RecordAsync(target.Resolved, DotnetStacksCaptureProvider.Providers, DotnetStacksCaptureProvider.SampleWindow, trace, CancellationToken.None);
                var snapshot = OsThreadNames.Fill(NettraceStacksAnalyzer.Analyze(trace), target.Resolved.Pid);
                var phase1 = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                var locks = await StackLockHolders.ListenAsync(target.Resolved, snapshot, Path.Combine(work, $"locks-{mode}-{round}.nettrace"), CancellationToken.None);
                var phase2 = clock.Elapsed.TotalMilliseconds;
                var outcome = locks is null ? "no waiters, no window" : string.Create(CultureInfo.InvariantCulture, $"listened {locks.WindowSeconds:0.000} s of {StackLockHolders.Window.TotalSeconds:0.#} s, {locks.Waiters.Count} waiters, {locks.Holders.Count} holders named");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode} round {round + 1}: snapshot {phase1:0} ms; lock window {phase2:0} ms (+{phase2 / phase1:P0}); {outcome}"));
            }
        }
    }

    private async Task HeapEdges(int archives, int rounds)
    {
        using var target = await DotnetTarget.StartAsync("retained", ("AUTOCAPTURE_TARGET_ARCHIVES", archives.ToString(CultureInfo.InvariantCulture)));
        await HeapEdgeCost.RunAsync(target.Resolved, work, rounds);
    }

    private async Task Overhead(string dotnetTrace, int seconds, int rounds)
    {
        using var target = await DotnetTarget.StartAsync("bench");
        var readings = new List<(double Total, double Cpu, double At, double Seen)>();
        var clock = Stopwatch.StartNew();
        var reading = Task.Run(async () =>
        {
            while (await target.Output.ReadLineAsync() is { } line)
            {
                // "rate R total N cpu S at T"
                var parts = line.Split(' ');
                if (parts is ["rate", _, "total", var total, "cpu", var cpu, "at", var at])
                {
                    lock (readings)
                    {
                        readings.Add((double.Parse(total, CultureInfo.InvariantCulture), double.Parse(cpu, CultureInfo.InvariantCulture), double.Parse(at, CultureInfo.InvariantCulture), clock.Elapsed.TotalSeconds));
                    }
                }
            }
        });

        async Task<(double Wall, double PerCpu)> Window(string name, Func<Task> during)
        {
            await during();
            var end = clock.Elapsed.TotalSeconds;
            (double Total, double Cpu, double At, double Seen) first, last;
            lock (readings)
            {
                // The session's last seconds before the phase ended, its edges left out: dotnet-trace needs a few seconds to
                // start before its session begins (more on a loaded host), so a window counted from the phase start would
                // credit it with idle time. Both sessions end within a second of their phase (stop, rundown, exit).
                var inside = readings.Where(r => r.Seen > end - seconds + 2 && r.Seen < end - 2).ToList();
                (first, last) = (inside[0], inside[^1]);
            }

            var wall = (last.Total - first.Total) / (last.At - first.At);
            var perCpu = (last.Total - first.Total) / (last.Cpu - first.Cpu);
            Console.WriteLine($"  {name}: {wall:0.0} calls/s, {perCpu:0.0} calls per CPU-second of the target");
            await Task.Delay(TimeSpan.FromSeconds(5));
            return (wall, perCpu);
        }

        Task Idle() => Task.Delay(TimeSpan.FromSeconds(seconds));
        Task Ours() => EventPipeRecorder.RecordAsync(target.Resolved, DotnetCpuCaptureProvider.Providers, TimeSpan.FromSeconds(seconds), Path.Combine(work, $"ours-{Guid.NewGuid():N}.nettrace"), CancellationToken.None);
        var keywords = DotnetCpuCaptureProvider.Providers[1].Keywords;
        Task Theirs() => Task.Run(() => Measure.RunProcess("dotnet-trace collect", 1, dotnetTrace,
            "collect", "-p", target.Resolved.Pid.ToString(CultureInfo.InvariantCulture), "--duration", $"00:00:00:{seconds:00}", "-o", Path.Combine(work, $"theirs-{Guid.NewGuid():N}.nettrace"),
            "--providers", $"Microsoft-DotNETCore-SampleProfiler:0:4,Microsoft-Windows-DotNETRuntime:0x{keywords:x}:4"));
        var phases = new (string Name, Func<Task> Run)[] { ("no capture", Idle), ("AutoCapture cpu capture", Ours), ("dotnet-trace collect", Theirs) };
        var results = phases.ToDictionary(p => p.Name, _ => new List<(double Wall, double PerCpu)>());
        await Task.Delay(TimeSpan.FromSeconds(5));
        for (var round = 0; round < rounds; round++)
        {
            Console.WriteLine($"round {round + 1} (dotnet-trace providers: Microsoft-DotNETCore-SampleProfiler:0:4,Microsoft-Windows-DotNETRuntime:0x{keywords:x}:4)");
            // Rotated each round, so drift in the machine's load does not favour one of them.
            foreach (var (name, run) in phases.Skip(round % phases.Length).Concat(phases.Take(round % phases.Length)))
            {
                results[name].Add(await Window(name, run));
            }
        }

        var idle = results["no capture"];
        foreach (var (name, values) in results.Where(r => r.Key != "no capture"))
        {
            var wallCost = values.Select((v, i) => 100 * (idle[i].Wall - v.Wall) / idle[i].Wall).Average();
            var cpuCost = values.Select((v, i) => 100 * (idle[i].PerCpu - v.PerCpu) / idle[i].PerCpu).Average();
            Console.WriteLine($"{name}: throughput cost {wallCost:0.0}% (wall), {cpuCost:0.0}% (per CPU-second), mean over {rounds} rounds");
        }

        foreach (var file in Directory.EnumerateFiles(work, "*.nettrace").Order())
        {
            Console.WriteLine($"  {Path.GetFileName(file)[..6]} trace: {new FileInfo(file).Length / 1048576.0:0.00} MiB");
        }

        target.Dispose();
        await reading.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

/// <summary>Lets the measured lambda keep its result alive without a closure over a local the analyzer would flag.</summary>
/// <summary>What naming the retaining type costs a heap capture: the snapshot's edges kept, and the retained-size pass.</summary>
internal static class HeapEdgeCost
{
    public static async Task RunAsync(ResolvedProcess target, string work, int rounds)
    {
        for (var round = 1; round <= rounds; round++)
        {
            GC.Collect();
            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            var histogram = new GcHeapHistogram();
            var clock = Stopwatch.StartNew();
            await LiveEventPipe.RunAsync(target, DotnetHeapCaptureProvider.Providers, Path.Combine(work, $"heap-{round}.nettrace"), TimeSpan.FromMinutes(5), histogram.Subscribe, CancellationToken.None);
            var snapshot = clock.Elapsed;
            var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            clock.Restart();
            var types = histogram.Types();
            var histogramOnly = clock.Elapsed;
            clock.Restart();
            var summary = histogram.Summarize();
            var withRetained = clock.Elapsed;
            var top = summary.RetainedBy is [var first, ..] ? $"{first.Type} {first.Bytes / (1024.0 * 1024):0} MiB" : "none";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: heap {types.TotalBytes / (1024.0 * 1024):0} MiB in {histogram.ObjectCount:N0} objects; snapshot {snapshot.TotalSeconds:0.00} s; collector holds {held / (1024.0 * 1024):0} MiB after it; type histogram {histogramOnly.TotalMilliseconds:0} ms, with retained-by {withRetained.TotalMilliseconds:0} ms; top retainer {top}; peak working set {Environment.WorkingSet / (1024.0 * 1024):0} MiB"));
        }
    }
}

internal static class GoroutineSummaryHolder
{
    public static AutoCapture.Core.Summaries.GoroutineSummary? Last { get; set; }
}

/// <summary>The .NET test target, started through its apphost.</summary>
internal sealed class DotnetTarget : IDisposable
{
    private readonly Process process;

    private DotnetTarget(Process process) => this.process = process;

    public StreamReader Output => process.StandardOutput;

    public ResolvedProcess Resolved => new(process.Id, "autocapture-testtarget", null);

    public static async Task<DotnetTarget> StartAsync(string mode, params (string Name, string Value)[] environment)
    {
        var assembly = typeof(DotnetTarget).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestTargetAssembly").Value!;
        var start = new ProcessStartInfo(Path.ChangeExtension(assembly, null)) { ArgumentList = { mode, "600" }, RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "../../.."));
        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync();
        if (ready != $"ready pid={process.Id}")
        {
            process.Kill();
            throw new InvalidOperationException($"test target said {ready}");
        }

        return new DotnetTarget(process);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }
    }
}

/// <summary>The Go test target, built with the machine's go toolchain.</summary>
internal sealed class GoTarget : IDisposable
{
    private readonly Process process;

    private GoTarget(Process process, Uri pprof)
    {
        this.process = process;
        Pprof = pprof;
    }

    public Uri Pprof { get; }

    public static async Task<GoTarget> StartAsync(string work, params string[] arguments)
    {
        var source = FindSource();
        var binary = Path.Combine(work, "gotarget");
        var build = Process.Start(new ProcessStartInfo("go", ["build", "-o", binary, "."]) { WorkingDirectory = source, Environment = { ["GOPROXY"] = "off", ["GOTOOLCHAIN"] = "local" } })!;
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException("go build failed");
        }

        var start = new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var ready = await process.StandardOutput.ReadLineAsync() ?? string.Empty;
        var address = ready.Split(' ').Single(part => part.StartsWith("pprof=", StringComparison.Ordinal))[6..];
        return new GoTarget(process, new Uri(address + "/"));
    }

    public void Dispose()
    {
        process.Kill();
        process.WaitForExit();
    }

    private static string FindSource()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "targets", "go", "gotarget");
            if (File.Exists(Path.Combine(candidate, "go.mod")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/targets/go/gotarget");
    }
}
