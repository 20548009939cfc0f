using System.Diagnostics;
using System.Text.RegularExpressions;
using AutoCapture.Core.Storage.Blob;

namespace AutoCapture.Benchmarks;

/// <summary>Azurite from tests/tools (npm, installed by tests/setup), in memory on a free loopback port, for one benchmark run.</summary>
internal sealed partial record LocalAzurite(Process Process, Uri ServiceUri) : IDisposable
{
    public string ConnectionString =>
        BlobClients.DevelopmentConnectionString(ServiceUri);

    public static async Task<LocalAzurite> StartAsync()
    {
        var main = Path.Combine(FindRoot(), "tests", "tools", "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (!File.Exists(main))
        {
            throw new InvalidOperationException($"{main} is missing: run tests/setup.");
        }

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { main, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
                return new LocalAzurite(process, new Uri($"http://127.0.0.1:{match.Groups[1].Value}/{BlobClients.DevelopmentAccount}"));
            }
        }

        throw new InvalidOperationException("Azurite exited before listening.");
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AutoCapture.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository");
    }

    public void Dispose()
    {
        Process.Kill(entireProcessTree: true);
        Process.WaitForExit(10_000);
        Process.Dispose();
    }

    [GeneratedRegex(@"successfully listens on http://[^:]+:(\d+)")]
    private static partial Regex ListeningOn();
}
