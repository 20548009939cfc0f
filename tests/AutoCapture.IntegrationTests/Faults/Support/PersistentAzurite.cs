using System.Diagnostics;
using System.Globalization;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>
/// Azurite keeping its data on disk (<c>--location</c>) on a fixed loopback port, so it can be stopped — the store
/// is unavailable — and started again on the same address with everything that was written still there.
/// Stopping sends SIGTERM and waits for Azurite to say it closed (its port closes first, then it saves its
/// metadata), as a real storage service keeps what it acknowledged; only then is the process ended.
/// </summary>
public sealed class PersistentAzurite : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _location;
    private Process? _process;
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private PersistentAzurite(string location, int port)
    {
        _location = location;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString =>
        BlobClients.DevelopmentConnectionString(new Uri($"http://127.0.0.1:{Port}/{BlobClients.DevelopmentAccount}"));

    public static async Task<PersistentAzurite> StartAsync(string location)
    {
        var azurite = new PersistentAzurite(location, FreePorts.Next());
        await azurite.StartAgainAsync();
        return azurite;
    }

    public async Task StartAgainAsync()
    {
        Directory.CreateDirectory(_location);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var main = Path.Combine(RepositoryPaths.NodePackage("azurite"), "dist", "src", "blob", "main.js");
        foreach (var argument in new[] { main, "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(CultureInfo.InvariantCulture), "--location", _location, "--skipApiVersionCheck", "--disableProductStyleUrl" })
        {
            start.ArgumentList.Add(argument);
        }

        _process?.Dispose();
        _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start Azurite");
        _process = process;
        process.OutputDataReceived += (_, line) => Watch(line.Data);
        process.ErrorDataReceived += (_, line) => Watch(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(_listening.Task, process.WaitForExitAsync(), Task.Delay(Patience));
        if (started != _listening.Task)
        {
            throw new InvalidOperationException($"Azurite did not listen on port {Port}: {Output()}");
        }
    }

    private void Watch(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.Contains("successfully listens on", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
        else if (line.Contains("successfully closed", StringComparison.Ordinal))
        {
            _closed.TrySetResult();
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join(" | ", _output.TakeLast(20));
        }
    }

    /// <summary>Stops Azurite as an operator would (SIGTERM), waits until it has closed its port and saved its data, and ends the process.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start("/bin/sh", ["-c", $"kill -TERM {process.Id}"]))
        {
            await kill.WaitForExitAsync();
        }

        if (await Task.WhenAny(_closed.Task, process.WaitForExitAsync(), Task.Delay(Patience)) != _closed.Task && !process.HasExited)
        {
            throw new TimeoutException($"Azurite did not close within {Patience} of SIGTERM: {Output()}");
        }

        // Closed and saved; idle keep-alive connections would keep node alive a while longer.
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
