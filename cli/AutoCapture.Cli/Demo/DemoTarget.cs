using System.Runtime.CompilerServices;

namespace AutoCapture.Cli.Demo;

/// <summary>
/// The sample process the demo captures: a "checkout service" that has gone hot in one plainly named method.
/// It runs as <c>autocapture demo-target</c> and exits when its parent closes stdin.
/// </summary>
internal static class DemoTarget
{
    public const string HotMethodName = nameof(HotMethodCalculatePrimes);

    public static async Task<int> RunAsync(TimeSpan maxLifetime)
    {
        using var stop = new CancellationTokenSource(maxLifetime);
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() => Burn(stop.Token), TaskCreationOptions.LongRunning)).ToArray();
        Console.WriteLine($"ready pid={Environment.ProcessId}");
        await Console.Out.FlushAsync(stop.Token);

        // The parent holds our stdin; when it goes away (or the lifetime ends) so do we.
        var stdinClosed = Task.Run(() => Console.In.ReadToEnd(), CancellationToken.None);
        await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        return 0;
    }

    private static void Burn(CancellationToken stop)
    {
        long found = 0;
        while (!stop.IsCancellationRequested)
        {
            found += HotMethodCalculatePrimes(20_000);
        }

        GC.KeepAlive(found);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int HotMethodCalculatePrimes(int limit)
    {
        var count = 0;
        for (var candidate = 2; candidate < limit; candidate++)
        {
            var prime = true;
            for (var divisor = 2; divisor * divisor <= candidate; divisor++)
            {
                if (candidate % divisor == 0)
                {
                    prime = false;
                    break;
                }
            }

            if (prime)
            {
                count++;
            }
        }

        return count;
    }
}
