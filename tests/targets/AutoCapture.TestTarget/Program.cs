using AutoCapture.TestTarget;

// Usage: autocapture-testtarget <cpu|lock|convoy|shelf|idle|heap|retained|bench|steady> [maxLifetimeSeconds=600] [tag...]
// Extra arguments are ignored: tests pass a unique tag so command-line selectors can tell targets apart.
// A stdin line "fault cpu|heap|threads" switches a planted fault on (see PlantedFaults) and is answered "fault NAME on".
if (args.Length == 0 || args[0] is not ("cpu" or "lock" or "convoy" or "shelf" or "idle" or "heap" or "retained" or "bench" or "steady"))
{
    Console.Error.WriteLine("usage: autocapture-testtarget <cpu|lock|convoy|shelf|idle|heap|retained|bench|steady> [maxLifetimeSeconds] [tag...]");
    return 2;
}

var maxLifetime = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1]) : 600);

switch (args[0])
{
    case "cpu":
        PlantedWork.StartHotThreads(count: 2);
        break;
    case "lock":
        PlantedWork.StartLockContention(waiters: 3);
        break;
    case "convoy":
        PlantedWork.StartLedgerConvoy(writers: 6);
        break;
    case "shelf":
        PlantedWork.StartShelfConvoy(pickers: 4);
        break;
    case "retained":
        // Benchmarks ask for a bigger heap (262,144 archives hold 1 GiB of byte arrays).
        PlantedHeap.HoldArchives(int.TryParse(Environment.GetEnvironmentVariable("AUTOCAPTURE_TARGET_ARCHIVES"), out var archives) ? archives : 20_000);
        break;
    case "heap":
        PlantedHeap.HoldOrders(count: 50_000);
        break;
    case "bench":
        Throughput.Start(threads: Environment.ProcessorCount);
        break;
    case "steady":
        PlantedFaults.StartSteady();
        break;
}

Console.WriteLine($"ready pid={Environment.ProcessId}");

// Tests must never leak targets: exit when the parent closes stdin, or at the latest after maxLifetime.
var stdinClosed = Task.Run(() =>
{
    while (Console.In.ReadLine() is { } line)
    {
        if (line.StartsWith("fault ", StringComparison.Ordinal))
        {
            var fault = line["fault ".Length..];
            Console.WriteLine(PlantedFaults.SwitchOn(fault) ? $"fault {fault} on" : $"fault {fault} unknown");
        }
    }
});
await Task.WhenAny(stdinClosed, Task.Delay(maxLifetime));
return 0;
