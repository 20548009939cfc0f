using AutoCapture.Benchmarks;
using AutoCapture.Core.Storage;

// Benchmark drivers and servers; each command is documented in docs/benchmarks.md with the script that runs it.
return args switch
{
    ["ack-server", var mode, var port, var root] => await AckServers.RunAsync(mode, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), root),
    ["alert-payload", var count] => AckServers.WritePayload(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)),
    ["admission-ops", var root, .. var rest] => await AdmissionOperations.RunAsync(root, rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 100),
    ["storm", var deliveries, var concurrency, var root, .. var store] => await StormDriver.RunAsync(int.Parse(deliveries, System.Globalization.CultureInfo.InvariantCulture), int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture), root, store.FirstOrDefault() ?? "folder"),
    ["blob-upload", var path and ("oneshot" or "blocks"), .. var rest] => await BlobUploadBenchmark.RunAsync(
        rest.Length > 0 ? long.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 1024,
        rest.Length > 1 ? int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture) : 2,
        rest.Length > 2 ? int.Parse(rest[2], System.Globalization.CultureInfo.InvariantCulture) : new StoreOptions().BlockBytes / 1024 / 1024,
        rest.Length > 3 ? int.Parse(rest[3], System.Globalization.CultureInfo.InvariantCulture) : new StoreOptions().UploadParallelism,
        blocks: path == "blocks"),
    ["search", var captures, var days, var root] => await SearchBenchmark.RunAsync(int.Parse(captures, System.Globalization.CultureInfo.InvariantCulture), int.Parse(days, System.Globalization.CultureInfo.InvariantCulture), root),
    ["pprof" or "pprof-file" or "goroutines" or "nettrace" or "overhead" or "heap-edges" or "contention" or "stacks-locks", ..] => await CaptureBenchmarks.RunAsync(args),
    ["diff-pprof" or "diff-pprof-files" or "diff-goroutines", ..] => await DiffBenchmarks.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          autocapture-benchmarks ack-server <autocapture|autocapture-azurite|bare> <port> <scratch-dir>
          autocapture-benchmarks alert-payload <alerts>     (writes an Alertmanager payload to stdout)
          autocapture-benchmarks admission-ops <scratch-dir> [alerts (100)]
          autocapture-benchmarks storm <deliveries> <concurrency> <scratch-dir> [folder|azurite]
          autocapture-benchmarks blob-upload <oneshot|blocks> [MiB (1024)] [rounds (2)] [block MiB (8)] [parallelism (4)]
          autocapture-benchmarks search <captures> <days> <scratch-dir>
          autocapture-benchmarks pprof [--mb 10]
          autocapture-benchmarks goroutines [--count 50000]
          autocapture-benchmarks nettrace --dotnet-trace PATH [--seconds 30]
          autocapture-benchmarks overhead --dotnet-trace PATH [--seconds 30] [--rounds 3]
          autocapture-benchmarks heap-edges [--archives 262144] [--rounds 3]
          autocapture-benchmarks contention [--seconds 10] [--rounds 3]
          autocapture-benchmarks stacks-locks [--rounds 5]
          autocapture-benchmarks diff-pprof [--mb 10]
          autocapture-benchmarks diff-goroutines [--count 50000]
        """);
    return 2;
}
