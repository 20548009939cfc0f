using System.Text.Json.Nodes;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.FunctionsHost;

/// <summary>
/// The deployable zip, built once per test class with infra/publish-functions.sh and unpacked as zip deploy unpacks
/// it; worker.config.json says how the host starts it.
/// </summary>
public sealed class PublishedWorker : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-package", Guid.NewGuid().ToString("N"));

    public string Directory => Path.Combine(_root, "package");

    public string Executable { get; private set; } = null!;

    public string WorkerPath { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(_root);
        var zip = (await RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "infra", "publish-functions.sh"), Path.Combine(_root, "out")], TimeSpan.FromMinutes(8))).Trim().Split('\n')[^1];
        await RunAsync("unzip", ["-q", zip, "-d", Directory], TimeSpan.FromMinutes(2));
        var description = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Directory, "worker.config.json")))!["description"]!;
        Executable = (string)description["defaultExecutablePath"]!;
        WorkerPath = (string)description["defaultWorkerPath"]!;
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<string> RunAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var (exit, output, errors) = await ToolProcess.RunAsync(file, arguments, timeout);
        Assert.True(exit == 0, $"{file} {string.Join(' ', arguments)} failed ({exit}): {errors}");
        return output;
    }
}
