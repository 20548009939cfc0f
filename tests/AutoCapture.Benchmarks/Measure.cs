using System.Diagnostics;

namespace AutoCapture.Benchmarks;

/// <summary>Wall time of repeated runs, bytes allocated per run, and the process's peak resident memory (VmHWM).</summary>
internal static class Measure
{
    public sealed record Result(string Name, IReadOnlyList<double> Seconds, long AllocatedBytesPerRun, long PeakResidentBytes, long ResidentBeforeBytes)
    {
        public double Median => Seconds.Order().ElementAt(Seconds.Count / 2);

        public override string ToString() => PeakResidentBytes == 0
            ? $"{Name}: median {Median:0.000} s over {Seconds.Count} runs ({string.Join(", ", Seconds.Select(s => s.ToString("0.000")))})"
            : AllocatedBytesPerRun == 0
            ? $"{Name}: median {Median:0.000} s over {Seconds.Count} runs ({string.Join(", ", Seconds.Select(s => s.ToString("0.000")))}); peak RSS {PeakResidentBytes / 1048576.0:0.0} MiB (largest run)"
            : $"{Name}: median {Median:0.000} s over {Seconds.Count} runs ({string.Join(", ", Seconds.Select(s => s.ToString("0.000")))}); "
            + $"allocated {AllocatedBytesPerRun / 1048576.0:0.0} MiB per run; peak RSS {PeakResidentBytes / 1048576.0:0.0} MiB (before: {ResidentBeforeBytes / 1048576.0:0.0} MiB)";
    }

    public static Result Run(string name, int runs, Action action)
    {
        GC.Collect();
        var before = Status("VmRSS");
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var seconds = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        var perRun = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / runs;
        return new Result(name, seconds, perRun, Status("VmHWM"), before);
    }

    /// <summary>Wall time of an external command, repeated.</summary>
    public static Result RunProcess(string name, int runs, string file, params string[] arguments) =>
        RunProcess(name, runs, peak: false, file, arguments);

    /// <summary>
    /// Wall time and peak resident memory of an external command, repeated: run under GNU time, whose maximum RSS
    /// covers the command and the children it waited for (<c>go tool pprof</c> runs pprof as one).
    /// </summary>
    public static Result RunProcessWithPeak(string name, int runs, string file, params string[] arguments) =>
        RunProcess(name, runs, peak: true, file, arguments);

    private static Result RunProcess(string name, int runs, bool peak, string file, string[] arguments)
    {
        const string PeakMarker = "peak-rss-kib ";
        var seconds = new List<double>();
        long peakBytes = 0;
        for (var i = 0; i < runs; i++)
        {
            var start = new ProcessStartInfo(peak ? "/usr/bin/time" : file) { RedirectStandardOutput = true, RedirectStandardError = true };
            if (peak)
            {
                start.ArgumentList.Add("-f");
                start.ArgumentList.Add(PeakMarker + "%M");
                start.ArgumentList.Add(file);
            }

            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            seconds.Add(clock.Elapsed.TotalSeconds);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {output.Result} {errors.Result}");
            }

            if (peak)
            {
                var line = errors.Result.Split('\n').Last(l => l.StartsWith(PeakMarker, StringComparison.Ordinal));
                peakBytes = Math.Max(peakBytes, long.Parse(line[PeakMarker.Length..], System.Globalization.CultureInfo.InvariantCulture) * 1024);
            }
        }

        return new Result(name, seconds, 0, peakBytes, 0);
    }

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
