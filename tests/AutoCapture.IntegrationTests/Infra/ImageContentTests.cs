using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// What each image copies into its runtime stage, built here (no image can be built): the Dockerfile's own
/// <c>dotnet publish</c> command, run from the repository root as the build stage runs it from the copied sources,
/// into a folder of its own; the program its ENTRYPOINT names must be there and start.
/// </summary>
public sealed class ImageContentTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("autocapture-image-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    [Theory]
    [MemberData(nameof(DockerfileTests.Dockerfiles), MemberType = typeof(DockerfileTests))]
    public async Task The_published_entrypoint_starts_and_lists_its_settings(string image)
    {
        var dockerfile = Dockerfile.Load(Path.Combine(InfraFiles.Docker, image));
        var publish = Assert.Single(dockerfile.Arguments("RUN"), r => r.StartsWith("dotnet publish ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var output = publish.IndexOf("-o") + 1;
        Assert.True(output > 0, $"{image}: dotnet publish has no -o");
        Assert.Equal("/app", publish[output]);
        publish[output] = _output;

        // The solution is built in Release before the tests run, so this publish is incremental, as tests/run expects.
        var (exit, stdout, errors) = await ToolProcess.RunAsync(publish[0], publish[1..], TimeSpan.FromMinutes(4));
        Assert.True(exit == 0, $"{string.Join(' ', publish)} failed ({exit}): {stdout}{errors}");

        var entrypoint = dockerfile.Entrypoint();
        Assert.Equal("dotnet", entrypoint[0]);
        var program = Path.Combine(_output, Assert.Single(entrypoint[1..]));
        Assert.True(File.Exists(program), $"{image}: ENTRYPOINT names {entrypoint[1]}, which the publish did not produce");
        var (helpExit, help, helpErrors) = await ToolProcess.RunAsync("dotnet", [program, "--help"], TimeSpan.FromMinutes(1), _output);
        Assert.True(helpExit == 0, helpErrors);
        Assert.Contains("AutoCapture__Store__Kind", help, StringComparison.Ordinal);
    }
}
