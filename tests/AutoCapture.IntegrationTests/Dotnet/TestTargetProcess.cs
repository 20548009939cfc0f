using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Dotnet;

/// <summary>
/// A running autocapture-testtarget, started through its apphost so its process name is its own. Killed on Dispose;
/// it also exits by itself when its stdin closes or after two minutes, so a crashed test run cannot leak it.
/// </summary>
public sealed class TestTargetProcess : IDisposable
{
    public const string Name = "autocapture-testtarget";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;

    private TestTargetProcess(Process process, string tag)
    {
        this.process = process;
        Tag = tag;
    }

    /// <summary>A unique argument on the target's command line, for command-line selectors.</summary>
    public string Tag { get; }

    public int Pid => process.Id;

    public ResolvedProcess Resolved => new(Pid, Name, null);

    public static async Task<TestTargetProcess> StartAsync(string mode, string? tag = null)
    {
        tag ??= $"tag-{Guid.NewGuid():N}";
        var start = new ProcessStartInfo(AppHostPath())
        {
            ArgumentList = { mode, "120", tag },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // The apphost looks for the runtime by DOTNET_ROOT first: point it at the one running these tests.
        start.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "../../.."));

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test target");
        var target = new TestTargetProcess(process, tag);
        try
        {
            using var timeout = new CancellationTokenSource(ReadyTimeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line != $"ready pid={process.Id}")
            {
                throw new InvalidOperationException($"test target said '{line}' instead of ready");
            }

            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>Switches a planted fault on (cpu, heap, threads; the target's PlantedFaults) and waits until it is.</summary>
    public async Task SwitchOnAsync(string fault)
    {
        await process.StandardInput.WriteLineAsync($"fault {fault}");
        await process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        var answer = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (answer != $"fault {fault} on")
        {
            throw new InvalidOperationException($"test target said '{answer}' to fault {fault}");
        }
    }

    /// <summary>Kills the target and waits until it is gone.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private static string AppHostPath()
    {
        var assembly = typeof(TestTargetProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "TestTargetAssembly").Value!;
        var appHost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        return File.Exists(appHost)
            ? appHost
            : throw new FileNotFoundException($"test target not built: no {appHost}; build tests/targets/AutoCapture.TestTarget");
    }
}
