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
    public static Result RunProcess(string name, int runs, string file, params string[] arguments)
    {
        var seconds = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
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
        }

        return new Result(name, seconds, 0, 0, 0);
    }

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
