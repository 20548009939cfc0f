using System.Diagnostics;
using System.Text.RegularExpressions;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// A real Azurite blob service (npm azurite 3.37.0 from tests/tools) on a free loopback port, in memory, for one
/// test collection. Each test works in its own container, so tests sharing the process do not see each other.
/// </summary>
public sealed partial class Azurite : IAsyncLifetime
{
    public const string CollectionName = "azurite";
    private Process? _process;

    public Uri ServiceUri { get; private set; } = null!;

    public string ConnectionString => BlobClients.DevelopmentConnectionString(ServiceUri);

    public static string NewContainerName() => "t" + Guid.NewGuid().ToString("N")[..20];

    public StoreOptions Options(string? container = null) => new()
    {
        Kind = StoreBackend.AzureBlob,
        ConnectionString = ConnectionString,
        Container = container ?? NewContainerName(),
        MaxAttempts = 2,
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    public BlobStore NewStore(string? container = null, int listPageSize = 5000, StoreOptions? options = null, TimeProvider? clock = null)
    {
        options ??= Options(container);
        var (service, kind) = BlobClients.Create(options);
        return new BlobStore(service, kind, options, clock, listPageSize);
    }

    public async Task InitializeAsync()
    {
        var package = RepositoryPaths.NodePackage("azurite");
        _process = AzuriteProcess.Start(package, []);
        ServiceUri = new Uri($"http://127.0.0.1:{await AzuriteProcess.WaitForPortAsync(_process)}/{BlobClients.DevelopmentAccount}");
    }

    public Task DisposeAsync()
    {
        AzuriteProcess.Stop(_process);
        return Task.CompletedTask;
    }
}

/// <summary>Starting and stopping an Azurite blob process, shared by the plain and the HTTPS (OAuth) fixtures.</summary>
public static partial class AzuriteProcess
{
    public static Process Start(string package, IEnumerable<string> extraArguments)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(package, "dist", "src", "blob", "main.js"), "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl" }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("node did not start Azurite.");
    }

    public static async Task<int> WaitForPortAsync(Process process)
    {
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<string>();
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                // Keep draining stdout so Azurite never blocks on a full pipe.
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"Azurite exited before listening: {string.Join(" | ", seen)} {await errors}");
    }

    public static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    [GeneratedRegex(@"successfully listens on https?://[^:]+:(\d+)")]
    private static partial Regex ListeningOn();
}

[CollectionDefinition(Azurite.CollectionName)]
public sealed class AzuriteCollection : ICollectionFixture<Azurite>;
