using System.Diagnostics;
using System.Globalization;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// .NET dump: a process dump written by the runtime (createdump) into the capture's work directory, streamed to the
/// store and deleted. Refused up front when its expected size would pass AutoCapture:Collector:Dumps:MaxBytes or
/// leave less than Dumps:MinFreeBytes free; checked again once written.
/// </summary>
public sealed class DotnetDumpCaptureProvider(IOptions<CollectorOptions> options) : ICaptureProvider
{
    private static readonly TimeSpan DumpTimeout = TimeSpan.FromMinutes(10);

    // A mini or triage dump holds stacks and module lists, not the heap; this bounds it for the disk check.
    private const long SmallDumpEstimate = 64L * 1024 * 1024;

    public string Runtime => Runtimes.Dotnet;

    public string Kind => CaptureKinds.Dump;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var dumpType = context.Spec.DumpType ?? DumpTypes.Default;
        var limits = options.Value.Dumps;
        var process = context.Process;
        var estimate = dumpType is DumpTypes.Mini or DumpTypes.Triage ? SmallDumpEstimate : ResidentBytes(process.Pid);
        if (estimate > limits.MaxBytes)
        {
            throw new CaptureFailedException(
                $"refused: a {dumpType} dump of {EventPipeRecorder.Describe(process)} would be about {Bytes(estimate)} (its resident memory), over the limit of {Bytes(limits.MaxBytes)} (AutoCapture:Collector:Dumps:MaxBytes)");
        }

        var free = new DriveInfo(Path.GetFullPath(context.WorkDirectory)).AvailableFreeSpace;
        if (free - estimate < limits.MinFreeBytes)
        {
            throw new CaptureFailedException(
                $"refused: a {dumpType} dump of {EventPipeRecorder.Describe(process)} needs about {Bytes(estimate)} and {context.WorkDirectory} has {Bytes(free)} free; at least {Bytes(limits.MinFreeBytes)} must stay free (AutoCapture:Collector:Dumps:MinFreeBytes)");
        }

        var path = Path.Combine(context.WorkDirectory, $"dump-{process.Pid}.dmp");
        var clock = Stopwatch.StartNew();
        try
        {
            await WriteAsync(process, dumpType, path, cancellationToken);
            var size = new FileInfo(path).Length;
            if (size > limits.MaxBytes)
            {
                throw new CaptureFailedException($"the {dumpType} dump came out at {Bytes(size)}, over the limit of {Bytes(limits.MaxBytes)} (AutoCapture:Collector:Dumps:MaxBytes); it was deleted, not stored");
            }

            var seconds = clock.Elapsed.TotalSeconds;
            await context.Artifacts.UploadAsync(path, Kind, "application/octet-stream", cancellationToken);
            return new CaptureSummary { Dump = new DumpSummary(dumpType, size, Math.Round(seconds, 2)) };
        }
        finally
        {
            // A dump is as large as the process: never leave it behind, stored or not.
            File.Delete(path);
        }
    }

    private static async Task WriteAsync(ResolvedProcess process, string dumpType, string path, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DumpTimeout);
        try
        {
            await new DiagnosticsClient(process.Pid).WriteDumpAsync(ToClientType(dumpType), path, logDumpGeneration: false, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CaptureFailedException($"{EventPipeRecorder.Describe(process)} did not finish writing the dump within {DumpTimeout.TotalMinutes:0} min");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CaptureFailedException($"{EventPipeRecorder.Describe(process)} could not write a {dumpType} dump: {e.Message}", e);
        }

        if (!File.Exists(path))
        {
            throw new CaptureFailedException($"{EventPipeRecorder.Describe(process)} reported a dump but none is at {path}: the target cannot write to the collector's work directory");
        }
    }

    private static DumpType ToClientType(string dumpType) => dumpType switch
    {
        DumpTypes.Mini => DumpType.Normal,
        DumpTypes.Triage => DumpType.Triage,
        DumpTypes.Full => DumpType.Full,
        _ => DumpType.WithHeap,
    };

    /// <summary>VmRSS from /proc: a with-heap or full dump holds about what the process has resident.</summary>
    private static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var value, ..] ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
            return kb * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new CaptureFailedException($"cannot size process {pid} for a dump: {e.Message}", e);
        }
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };
}
