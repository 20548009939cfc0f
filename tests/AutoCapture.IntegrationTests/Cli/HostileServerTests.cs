using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>
/// The CLI trusts nothing a server says: a malicious or intercepted server answers with artifact names that walk out
/// of --out, or with nulls where the contract has none. The real CLI runs against a real HTTP server on loopback that
/// plays that server.
/// </summary>
public sealed class HostileServerTests : IAsyncDisposable
{
    private const string CaptureId = "20261205-0123456789abcdef";
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("planted by the server");
    private readonly string _root = Directory.CreateTempSubdirectory("autocapture-hostile-").FullName;
    private WebApplication? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    private async Task<string> ServeAsync(string manifestJson, byte[]? served = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapGet($"/api/captures/{CaptureId}", () => Results.Text(manifestJson, "application/json"));
        _server.MapGet($"/api/captures/{CaptureId}/artifacts/{{**name}}", () => Results.Bytes(served ?? Payload, "application/octet-stream"));
        await _server.StartAsync();
        return _server.Urls.First();
    }

    private static string Manifest(params string[] artifactNames) => Encoding.UTF8.GetString(AutoCaptureJson.Serialize(new CaptureManifest
    {
        Id = CaptureId,
        Status = CaptureStatus.Complete,
        Alert = new Alert("alertmanager", "HighCPU", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0"),
        Rule = "rule",
        Target = new CaptureTarget("http://127.0.0.1:9", "web-1", new ProcessSelector(Name: "app")),
        Captures = [new CaptureSpec(CaptureKinds.Stacks)],
        CreatedAt = DateTimeOffset.UnixEpoch,
        Artifacts = [.. artifactNames.Select(n => new ArtifactInfo(n, CaptureKinds.Stacks, "text/plain", Payload.Length, Convert.ToHexStringLower(SHA256.HashData(Payload))))],
    }));

    private async Task<(int ExitCode, string Output, string Error)> DownloadAsync(string url, string output) =>
        await CliProcess.RunAsync(
            ["captures", "download", CaptureId, "--out", output],
            new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = url, ["AUTOCAPTURE_TOKEN"] = TestEnvironment.Secret() },
            _root);

    [Theory]
    [InlineData("../../escaped.txt")]
    [InlineData("sub/../../escaped.txt")]
    [InlineData("stacks.txt\n")]
    public async Task Artifact_names_that_leave_the_output_folder_are_refused_and_nothing_is_written(string name)
    {
        var output = Path.Combine(_root, "a", "b", "out");
        var url = await ServeAsync(Manifest("stacks.txt", name));

        var (exit, stdout, error) = await DownloadAsync(url, output);

        Assert.Equal(1, exit);
        Assert.Contains("is not a plain file name; nothing was written", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ok\t", stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Bytes_other_than_the_manifest_says_are_not_kept()
    {
        var output = Path.Combine(_root, "out");
        var forged = Encoding.UTF8.GetBytes("forged by the server!");
        var url = await ServeAsync(Manifest("stacks.txt"), forged);

        var (exit, _, error) = await DownloadAsync(url, output);

        Assert.Equal(3, exit);
        Assert.Contains($"FAILED\tstacks.txt: checksum mismatch: the manifest says SHA-256 {Convert.ToHexStringLower(SHA256.HashData(Payload))}, the download is {Convert.ToHexStringLower(SHA256.HashData(forged))}", error, StringComparison.Ordinal);
        Assert.Equal(["manifest.json"], Directory.GetFiles(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_absolute_artifact_name_is_refused()
    {
        var target = Path.Combine(_root, "absolute.txt");
        var url = await ServeAsync(Manifest(target));

        var (exit, _, error) = await DownloadAsync(url, Path.Combine(_root, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"'{target}', which is not a plain file name", error, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData("artifacts", null)]
    [InlineData("id", null)]
    [InlineData("target", null)]
    public async Task Nulls_where_the_contract_has_none_are_reported_as_a_wrong_answer(string field, string? value)
    {
        var manifest = JsonNode.Parse(Manifest("stacks.txt"))!.AsObject();
        manifest[field] = value;
        var url = await ServeAsync(manifest.ToJsonString());

        var (showExit, _, showError) = await CliProcess.RunAsync(
            ["captures", "show", CaptureId],
            new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = url, ["AUTOCAPTURE_TOKEN"] = TestEnvironment.Secret() },
            _root);
        var (downloadExit, _, downloadError) = await DownloadAsync(url, Path.Combine(_root, "out"));

        Assert.Equal(1, showExit);
        Assert.Equal(1, downloadExit);
        Assert.StartsWith("the server's answer is not what the capture API sends", showError, StringComparison.Ordinal);
        Assert.StartsWith("the server's answer is not what the capture API sends", downloadError, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", showError + downloadError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_never_shows_the_read_token_from_the_environment()
    {
        var token = TestEnvironment.Secret();
        var environment = new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = "http://127.0.0.1:9", ["AUTOCAPTURE_TOKEN"] = token };

        foreach (var command in new[] { "list", "show", "download", "diff" })
        {
            var (exit, output, error) = await CliProcess.RunAsync(["captures", command, "--help"], environment, _root);
            Assert.Equal(0, exit);
            Assert.Contains("--token", output, StringComparison.Ordinal);
            Assert.DoesNotContain(token, output + error, StringComparison.Ordinal);
        }
    }
}
