using System.Security.Cryptography;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>
/// `autocapture captures list|show|download` run as a user runs them (the real CLI in its own process, output piped)
/// against the real webhook app over a store with many captures: paging, filters, downloads verified by SHA-256.
/// </summary>
public sealed class CapturesCommandTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _token = TestEnvironment.Secret();
    private List<CaptureManifest> _captures = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _captures = await CaptureSeeder.SeedAsync(new FolderStore(_env.StorePath), DateTimeOffset.UtcNow, 75, perDay: 25, artifactBytes: 300_000);
        _app = await _env.StartWebhookAsync("rules: []\n", new() { ["AutoCapture:Api:ReadTokens:0"] = _token });
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        CliProcess.RunAsync(args, new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = _app.Url, ["AUTOCAPTURE_TOKEN"] = _token }, _env.Root);

    private static List<string> Ids(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id\tcreated\tstatus\talert\thost\tprocess\tkinds\tsize\treason", lines[0]);
        return lines.Skip(1).Select(l => l.Split('\t')[0]).ToList();
    }

    [Fact]
    public async Task List_pages_with_cursors_until_every_capture_was_shown_once_newest_first()
    {
        var shown = new List<string>();
        var args = new List<string> { "captures", "list", "--limit", "30" };
        for (var page = 0; page < 5; page++)
        {
            var (exit, output, error) = await RunAsync([.. args]);
            Assert.True(exit == 0, error);
            shown.AddRange(Ids(output));
            if (!error.Contains("more captures: add --cursor ", StringComparison.Ordinal))
            {
                break;
            }

            args = ["captures", "list", "--limit", "30", "--cursor", error.Split("--cursor ")[1].Trim()];
        }

        Assert.Equal(_captures.NewestFirst().Select(c => c.Id), shown);
    }

    [Fact]
    public async Task List_filters_like_the_api_and_follows_every_page_with_all()
    {
        var (exit, output, error) = await RunAsync("captures", "list", "--alert", "HighCPU", "--status", "complete", "--label", "env=prod", "--limit", "2", "--all");

        Assert.True(exit == 0, error);
        var expected = _captures.Where(c => c.Alert.Name == "HighCPU" && c.Status == CaptureStatus.Complete && c.Alert.Labels["env"] == "prod").NewestFirst().Select(c => c.Id).ToList();
        Assert.True(expected.Count > 2);
        Assert.Equal(expected, Ids(output));
        Assert.All(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1), line => Assert.Contains("\tcomplete\tHighCPU\t", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Show_prints_the_capture_in_plain_lines()
    {
        var failed = _captures.First(c => c.Status == CaptureStatus.Failed);
        var complete = _captures.First(c => c.Status == CaptureStatus.Complete);

        var (failedExit, failedOutput, _) = await RunAsync("captures", "show", failed.Id);
        var (completeExit, completeOutput, _) = await RunAsync("captures", "show", complete.Id);
        var (jsonExit, json, _) = await RunAsync("captures", "show", complete.Id, "--json");
        var (badExit, _, badError) = await RunAsync("captures", "show", "not-an-id");
        var (unknownExit, _, unknownError) = await RunAsync("captures", "show", "20200101-0123456789abcdef");

        Assert.Equal(0, failedExit);
        Assert.Contains($"id: {failed.Id}", failedOutput, StringComparison.Ordinal);
        Assert.Contains($"status: failed: {failed.Error}", failedOutput, StringComparison.Ordinal);
        Assert.Contains($"target: name={failed.Target.Process.Name} on {failed.Target.Host}", failedOutput, StringComparison.Ordinal);
        Assert.Equal(0, completeExit);
        Assert.Contains($"  stacks.txt\tstacks\t293 KiB\tsha256 {complete.Artifacts[0].Sha256}", completeOutput, StringComparison.Ordinal);
        Assert.Equal(0, jsonExit);
        Assert.Contains($"\"id\": \"{complete.Id}\"", json, StringComparison.Ordinal);
        Assert.Equal(1, badExit);
        Assert.Contains("'not-an-id' is not a capture id", badError, StringComparison.Ordinal);
        Assert.Equal(1, unknownExit);
        Assert.Contains("the server answered 404: capture 20200101-0123456789abcdef does not exist", unknownError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_writes_verified_artifacts_and_the_manifest()
    {
        var capture = _captures.First(c => c.Status == CaptureStatus.Complete);
        var folder = Path.Combine(_env.Root, "download");

        var (exit, output, error) = await RunAsync("captures", "download", capture.Id, "--out", folder);

        Assert.True(exit == 0, error);
        Assert.Contains($"ok\tstacks.txt\t{capture.Artifacts[0].Size}\tsha256 {capture.Artifacts[0].Sha256}", output, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, "stacks.txt"));
        Assert.Equal(capture.Artifacts[0].Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Contains(capture.Id, await File.ReadAllTextAsync(Path.Combine(folder, "manifest.json")), StringComparison.Ordinal);
        Assert.Equal(["manifest.json", "stacks.txt"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Download_detects_an_artifact_that_no_longer_matches_its_manifest_and_keeps_nothing_of_it()
    {
        var capture = _captures.Last(c => c.Status == CaptureStatus.Complete);
        // Same size, one byte different: only the hash can tell.
        var stored = Path.Combine(_env.StorePath, CaptureIds.ArtifactKey(capture.Id, "stacks.txt"));
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(stored, bytes);
        var folder = Path.Combine(_env.Root, "tampered");

        var (exit, _, error) = await RunAsync("captures", "download", capture.Id, "--out", folder);

        // The server refuses to serve it (a server that serves it anyway meets the CLI's own check: HostileServerTests).
        Assert.Equal(1, exit);
        Assert.Contains("the server answered 409: artifact stacks.txt does not match its SHA-256 in the store; not served", error, StringComparison.Ordinal);
        Assert.Equal(["manifest.json"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Missing_or_wrong_credentials_are_explained()
    {
        var (wrongExit, _, wrongError) = await RunAsync("captures", "list", "--token", "x-wrong-token-x-wrong-token");
        var (noUrlExit, _, noUrlError) = await RunAsync("captures", "list", "--url", "ftp://nowhere");

        Assert.Equal(1, wrongExit);
        Assert.Contains("the server refused the token: this read token is not valid", wrongError, StringComparison.Ordinal);
        Assert.Equal(1, noUrlExit);
        Assert.Contains("--url (or $AUTOCAPTURE_URL) must be the webhook app's http(s) address", noUrlError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_into_a_path_that_is_a_file_says_so_instead_of_crashing()
    {
        var blocker = Path.Combine(_env.Root, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "x");

        var (exit, _, error) = await RunAsync("captures", "download", _captures[0].Id, "--out", blocker);

        Assert.Equal(1, exit);
        Assert.Contains($"cannot write into {blocker}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }
}
