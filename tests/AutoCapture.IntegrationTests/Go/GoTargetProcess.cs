using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>
/// A running tests/targets/go/gotarget, built once per test run with the machine's Go toolchain (Debian golang-go,
/// see tests/setup). Killed on Dispose; it also exits when its stdin closes or after two minutes.
/// </summary>
public sealed partial class GoTargetProcess : IDisposable
{
    public const string Name = "gotarget";
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? builtPath;
    private readonly Process process;

    private GoTargetProcess(Process process, Uri pprof, int gopsPort, string gopsConfigDirectory)
    {
        this.process = process;
        Pprof = pprof;
        GopsPort = gopsPort;
        GopsConfigDirectory = gopsConfigDirectory;
    }

    public int Pid => process.Id;

    /// <summary>The pprof server's base address, e.g. http://127.0.0.1:43121/.</summary>
    public Uri Pprof { get; }

    public string PprofAddress => $"http://127.0.0.1:{Pprof.Port}";

    /// <summary>0 unless started with -gops.</summary>
    public int GopsPort { get; }

    /// <summary>A private GOPS_CONFIG_DIR, so the port file of this target is the only one there.</summary>
    public string GopsConfigDirectory { get; }

    public ResolvedProcess ByAddress => new(0, $"127.0.0.1:{Pprof.Port}", null, PprofAddress);

    public ResolvedProcess ByPid => new(Pid, Name, null);

    [GeneratedRegex(@"^ready pid=(?<pid>\d+) pprof=http://(?<pprof>\S+) gops=(?<gops>\d+)$")]
    private static partial Regex ReadyLine();

    public static async Task<GoTargetProcess> StartAsync(params string[] arguments) => await StartAsync(await BuildAsync(), arguments);

    /// <summary>
    /// Starts a copy of gotarget named <paramref name="name"/> (placed in its gops config directory), so a test that
    /// selects by name never matches a gotarget that another test or engineer runs on this machine.
    /// </summary>
    public static async Task<GoTargetProcess> StartNamedAsync(string name, params string[] arguments)
    {
        var copies = Directory.CreateTempSubdirectory("autocapture-gotarget-").FullName;
        var binary = Path.Combine(copies, name);
        File.Copy(await BuildAsync(), binary);
        try
        {
            return await StartAsync(binary, arguments);
        }
        finally
        {
            // Linux runs an executable whose file is gone; the copy is only needed until the process started.
            Directory.Delete(copies, recursive: true);
        }
    }

    private static async Task<GoTargetProcess> StartAsync(string binary, string[] arguments)
    {
        var gopsDirectory = Directory.CreateTempSubdirectory("autocapture-gops-").FullName;
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["GOPS_CONFIG_DIR"] = gopsDirectory },
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start gotarget");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            var ready = ReadyLine().Match(line ?? string.Empty);
            if (!ready.Success || int.Parse(ready.Groups["pid"].Value, CultureInfo.InvariantCulture) != process.Id)
            {
                throw new InvalidOperationException($"gotarget said '{line}' instead of ready: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
            }

            return new GoTargetProcess(process, new Uri($"http://{ready.Groups["pprof"].Value}/"), int.Parse(ready.Groups["gops"].Value, CultureInfo.InvariantCulture), gopsDirectory);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            Directory.Delete(gopsDirectory, recursive: true);
            throw;
        }
    }

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
        Directory.Delete(GopsConfigDirectory, recursive: true);
    }

    private static async Task<string> BuildAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (builtPath is not null)
            {
                return builtPath;
            }

            var source = FindSource();
            var output = Path.Combine(AppContext.BaseDirectory, "gotarget-bin", Name);
            var build = new ProcessStartInfo("go", ["build", "-o", output, "."])
            {
                WorkingDirectory = source,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                // No network: the one dependency is vendored (vendor/), and builds must not try to fetch modules or toolchains.
                Environment = { ["GOFLAGS"] = "-mod=vendor", ["GOPROXY"] = "off", ["GOTOOLCHAIN"] = "local" },
            };
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HOME")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GOCACHE")))
            {
                // go build needs a cache folder, which it otherwise puts under $HOME.
                build.Environment["GOCACHE"] = Path.Combine(Path.GetTempPath(), "autocapture-go-cache");
            }

            using var go = Process.Start(build) ?? throw new InvalidOperationException("could not run go build (is golang-go installed? tests/setup installs it)");
            var errors = go.StandardError.ReadToEndAsync();
            await go.WaitForExitAsync();
            if (go.ExitCode != 0)
            {
                throw new InvalidOperationException($"go build of {source} failed: {await errors}");
            }

            builtPath = output;
            return output;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    private static string FindSource()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "targets", "go", "gotarget");
            if (File.Exists(Path.Combine(candidate, "go.mod")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/targets/go/gotarget not found above the test assembly");
    }
}
