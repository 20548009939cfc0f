using AutoCapture.Benchmarks;

// Benchmark drivers and servers; each command is documented in docs/benchmarks.md with the script that runs it.
return args switch
{
    ["ack-server", var mode, var port, var root] => await AckServers.RunAsync(mode, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), root),
    ["alert-payload", var count] => AckServers.WritePayload(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)),
    ["storm", var deliveries, var concurrency, var root] => await StormDriver.RunAsync(int.Parse(deliveries, System.Globalization.CultureInfo.InvariantCulture), int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture), root),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          autocapture-benchmarks ack-server <autocapture|bare> <port> <scratch-dir>
          autocapture-benchmarks alert-payload <alerts>     (writes an Alertmanager payload to stdout)
          autocapture-benchmarks storm <deliveries> <concurrency> <scratch-dir>
        """);
    return 2;
}
