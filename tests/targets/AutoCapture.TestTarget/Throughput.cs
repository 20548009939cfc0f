using System.Diagnostics;

namespace AutoCapture.TestTarget;

/// <summary>
/// "bench" mode: CPU-bound work on every core, reporting once a second on stdout the calls of the planted hot method
/// (per second and in total), the process's CPU seconds and the time, so a benchmark can see what a capture costs it.
/// </summary>
public static class Throughput
{
    private static long calls;

    public static void Start(int threads)
    {
        for (var i = 0; i < threads; i++)
        {
            new Thread(() =>
            {
                var seed = 1L;
                while (true)
                {
                    seed = PlantedWork.PlantedHotMethod(seed);
                    Interlocked.Increment(ref calls);
                }
            }) { IsBackground = true, Name = $"bench-{i}" }.Start();
        }

        new Thread(Report) { IsBackground = true, Name = "bench-report" }.Start();
    }

    private static void Report()
    {
        var clock = Stopwatch.StartNew();
        using var self = Process.GetCurrentProcess();
        var last = 0L;
        var lastTime = 0.0;
        while (true)
        {
            Thread.Sleep(1000);
            var now = clock.Elapsed.TotalSeconds;
            var total = Interlocked.Read(ref calls);
            self.Refresh();
            Console.WriteLine(FormattableString.Invariant($"rate {(total - last) / (now - lastTime):F1} total {total} cpu {self.TotalProcessorTime.TotalSeconds:F3} at {now:F3}"));
            last = total;
            lastTime = now;
        }
    }
}
