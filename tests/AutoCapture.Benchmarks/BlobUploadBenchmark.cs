using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoCapture.Core.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace AutoCapture.Benchmarks;

/// <summary>
/// Uploads one large artifact to Azurite (in memory, loopback) through the blob store, and the same file with
/// <c>curl -T</c> (one Put Blob) to the same Azurite in the same run as the anchor. Reports throughput of each,
/// their ratio, and the uploading process's peak resident memory growth during the store upload. The store takes
/// either path: <c>oneshot</c> (a file of known size in one Put Blob, the default for finished artifacts) or
/// <c>blocks</c> (Put Block × n + Put Block List, what streams of unknown length and very large files use).
/// </summary>
public static partial class BlobUploadBenchmark
{
    public static async Task<int> RunAsync(long sizeMiB, int rounds, int blockMiB, int parallelism, bool blocks)
    {
        var root = Path.Combine(Path.GetTempPath(), $"autocapture-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        var file = Path.Combine(root, "artifact.bin");
        using var azurite = await LocalAzurite.StartAsync();
        try
        {
            var size = sizeMiB * 1024 * 1024;
            await WriteArtifactAsync(file, size);
            var options = new StoreOptions
            {
                Kind = StoreBackend.AzureBlob,
                ConnectionString = azurite.ConnectionString,
                Container = "bench",
                BlockBytes = blockMiB * 1024 * 1024,
                UploadParallelism = parallelism,
                // Below the artifact's size, every upload takes the block path.
                SingleUploadMaxBytes = blocks ? blockMiB * 1024 * 1024 : StoreOptions.MaxSingleUploadBytes,
            };
            var store = ArtifactStores.Create(options);
            // Warm-up: JIT, connection pool, containers; not measured.
            await store.WriteAsync("state/warmup.bin", new MemoryStream(new byte[20 * 1024 * 1024]), WriteCondition.None, CancellationToken.None);
            await store.DeleteAsync("state/warmup.bin", CancellationToken.None);
            var sas = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("bench").GenerateSasUri(BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write, DateTimeOffset.UtcNow.AddHours(2)).Query;

            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; artifact {sizeMiB} MiB; "
                + (blocks ? $"blocks of {options.BlockBytes / 1024 / 1024} MiB x {options.UploadParallelism} parallel" : "one shot"));
            var curlRates = new List<double>();
            var storeRates = new List<double>();
            var growths = new List<long>();
            for (var round = 1; round <= rounds; round++)
            {
                var curlSeconds = await CurlUploadAsync(file, $"{azurite.ServiceUri}/bench/state/curl.bin{sas}");
                curlRates.Add(sizeMiB / curlSeconds);
                await store.DeleteAsync("state/curl.bin", CancellationToken.None);

                var (storeSeconds, growth) = await StoreUploadAsync(store, file);
                storeRates.Add(sizeMiB / storeSeconds);
                growths.Add(growth);
                await store.DeleteAsync("state/store.bin", CancellationToken.None);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: curl -T {sizeMiB / curlSeconds:F1} MiB/s, store {sizeMiB / storeSeconds:F1} MiB/s, peak RSS growth {growth / 1024.0 / 1024.0:F1} MiB"));
            }

            var ratio = storeRates.Max() / curlRates.Max();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"best: curl -T {curlRates.Max():F1} MiB/s, store {storeRates.Max():F1} MiB/s, ratio {ratio:F2} (goal >= 0.80); worst peak RSS growth {growths.Max() / 1024.0 / 1024.0:F1} MiB (goal <= 64)"));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<(double Seconds, long PeakGrowthBytes)> StoreUploadAsync(IArtifactStore store, string file)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Writing 5 to clear_refs resets the kernel's peak RSS (VmHWM) for this process.
        await File.WriteAllTextAsync("/proc/self/clear_refs", "5");
        var before = Status("VmRSS");
        var stopwatch = Stopwatch.StartNew();
        await using (var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            var result = await store.WriteAsync("state/store.bin", source, WriteCondition.None, CancellationToken.None);
            if (!result.Written)
            {
                throw new InvalidOperationException("the upload did not happen");
            }
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        return (seconds, Status("VmHWM") - before);
    }

    private static async Task<double> CurlUploadAsync(string file, string url)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-sS", "-f", "-o", "/dev/null", "-T", file, "-H", "x-ms-blob-type: BlockBlob", "-H", "x-ms-version: 2025-11-05", url })
        {
            start.ArgumentList.Add(argument);
        }

        var stopwatch = Stopwatch.StartNew();
        using var curl = Process.Start(start)!;
        var errors = curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        if (curl.ExitCode != 0)
        {
            throw new InvalidOperationException($"curl failed: {await errors}");
        }

        return stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task WriteArtifactAsync(string file, long size)
    {
        var chunk = new byte[4 * 1024 * 1024];
        new Random(42).NextBytes(chunk);
        await using var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        for (long written = 0; written < size; written += chunk.Length)
        {
            // Vary each chunk a little so the content is not one repeated block.
            chunk[0] = (byte)(written >> 22);
            await output.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)));
        }
    }

    private static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(Digits().Match(line).Value, CultureInfo.InvariantCulture) * 1024;
    }



    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();
}
