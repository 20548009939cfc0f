using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Go;

/// <summary>The gops agent's one-byte commands.</summary>
public enum GopsCommand : byte
{
    StackDump = 0x1,
    MemStats = 0x3,
    HeapProfile = 0x5,
    CpuProfile = 0x6,
    Stats = 0x7,
    Trace = 0x8,
}

/// <summary>
/// Speaks the gops agent protocol: connect to the agent's loopback port, send one command byte, read until the agent
/// closes. The agent serves one connection at a time and a second one would wait behind a 30 s CPU profile, so this
/// client never opens two to the same agent: requests to one port queue here.
/// </summary>
public sealed class GopsAgentClient(IOptions<CollectorOptions> options)
{
    /// <summary>What the agent itself takes for its timed commands; it has no way to be told another duration.</summary>
    public static readonly TimeSpan CpuProfileTime = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan TraceTime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<int, SemaphoreSlim> perPort = new();

    /// <returns>The number of bytes the agent sent, written to <paramref name="destination"/>.</returns>
    public async Task<long> RequestAsync(int pid, GopsCommand command, string destination, CancellationToken cancellationToken)
    {
        var port = GopsPortFiles.FindPort(options.Value.Go, pid)
            ?? throw new CaptureFailedException($"process {pid} has no gops agent: no port file named {pid} in {string.Join(" or ", GopsPortFiles.Directories(options.Value.Go, pid))}");
        var serverTime = command switch
        {
            GopsCommand.CpuProfile => CpuProfileTime,
            GopsCommand.Trace => TraceTime,
            _ => TimeSpan.Zero,
        };
        var limit = serverTime + options.Value.Go.RequestTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var gate = perPort.GetOrAdd(port, _ => new SemaphoreSlim(1, 1));
        var written = 0L;
        try
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                using var client = new TcpClient(AddressFamily.InterNetwork);
                await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                await using var stream = client.GetStream();
                await stream.WriteAsync(new[] { (byte)command }, timeout.Token);
                await using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    written += read;
                    if (written > options.Value.Go.MaxProfileBytes)
                    {
                        throw new CaptureFailedException($"the gops agent of process {pid} sent more than {options.Value.Go.MaxProfileBytes} bytes (AutoCapture:Collector:Go:MaxProfileBytes); stopped reading");
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), timeout.Token);
                }
            }
            finally
            {
                gate.Release();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CaptureFailedException($"the gops agent of process {pid} (port {port}) did not finish {Describe(command)} within {limit.TotalSeconds:0} s");
        }
        catch (SocketException e) when (written == 0)
        {
            throw new CaptureFailedException($"cannot reach the gops agent of process {pid} on port {port}: {e.Message} (the process exited, or its port file is stale)", e);
        }
        catch (IOException e)
        {
            throw new CaptureFailedException($"the gops agent of process {pid} dropped the connection during {Describe(command)} after {written} bytes ({e.Message})", e);
        }

        if (written == 0)
        {
            throw new CaptureFailedException(command is GopsCommand.CpuProfile or GopsCommand.Trace
                ? $"the gops agent of process {pid} sent nothing for {Describe(command)}: another profiler or tracer is already running in the process"
                : $"the gops agent of process {pid} sent nothing for {Describe(command)}");
        }

        return written;
    }

    public static string Describe(GopsCommand command) => command switch
    {
        GopsCommand.StackDump => "the stack dump",
        GopsCommand.MemStats => "the memory statistics",
        GopsCommand.HeapProfile => "the heap profile",
        GopsCommand.CpuProfile => "the 30 s CPU profile",
        GopsCommand.Stats => "the runtime statistics",
        _ => "the 5 s trace",
    };
}
