using System.Diagnostics;

namespace AutoCapture.TestTarget;

/// <summary>
/// "bench" mode: CPU-bound work on every core, reporting calls of the planted hot method per second on stdout
/// ("rate N") so a benchmark can see what a capture costs the process.
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
        var last = 0L;
        var lastTime = 0.0;
        while (true)
        {
            Thread.Sleep(1000);
            var now = clock.Elapsed.TotalSeconds;
            var total = Interlocked.Read(ref calls);
            Console.WriteLine($"rate {(total - last) / (now - lastTime):F1}");
            last = total;
            lastTime = now;
        }
    }
}
