using System.Diagnostics;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>The README installs the CLI as a .NET tool from a packed folder; this packs, installs and runs it the same way.</summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autocapture-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepositoryPaths.Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task The_packed_cli_installs_as_a_dotnet_tool_named_autocapture_and_runs()
    {
        var packages = Path.Combine(_directory, "packages");
        var tools = Path.Combine(_directory, "tools");
        var rules = Path.Combine(_directory, "rules.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - name: r\n    match: ['alertname = \"x\"']\n    target: { collector: http://c, process: { name: app } }\n    captures: [gpu]\n");

        // --no-build: the test run builds the solution in Release first, as tests/run does.
        var pack = await RunAsync("dotnet", "pack", "cli/AutoCapture.Cli/AutoCapture.Cli.csproj", "-c", "Release", "--no-build", "-o", packages);
        var install = await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", packages, "AutoCapture.Cli");
        var version = await RunAsync(Path.Combine(tools, "autocapture"), "--version");
        var validate = await RunAsync(Path.Combine(tools, "autocapture"), "rules", "validate", rules);

        Assert.True(pack.ExitCode == 0, pack.Output);
        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("0.1.0", version.Output, StringComparison.Ordinal);
        Assert.Equal(1, validate.ExitCode);
        Assert.Contains($"{rules}:5:16: rules[0].captures[0]: unknown capture kind 'gpu'", validate.Output, StringComparison.Ordinal);
    }
}
