using System.ComponentModel;
using System.Diagnostics;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>A command-line tool (a linter, a build, a script) run in its own process, as a user runs it.</summary>
public static class ToolProcess
{
    /// <summary>Runs a tool to its end, killed after <paramref name="timeout"/>; a missing tool says how to install it.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string file, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? RepositoryPaths.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"{file} could not be started ({e.Message}): run tests/setup", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
            }

            return (process.ExitCode, await output, await errors);
        }
    }
}
