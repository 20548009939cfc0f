using System.Net;
using System.Net.Http.Headers;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Baselines;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Go;
using AutoCapture.IntegrationTests.Support;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>
/// `autocapture captures diff` run as a user runs it (the real CLI in its own process) against the real webhook app:
/// the diff stored with a real Go capture taken after a planted leak and hot function, the same capture compared on
/// demand with a baseline named by hand (and the other way round), and the server's answers to bad requests.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class CapturesDiffCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _token = TestEnvironment.Secret();
    private FakeSlack _slack = null!;

    public async Task InitializeAsync() => _slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(RunningApp webhook, params string[] args)
    {
        var result = await CliProcess.RunAsync(args, new Dictionary<string, string> { ["AUTOCAPTURE_URL"] = webhook.Url, ["AUTOCAPTURE_TOKEN"] = _token }, _env.Root);
        output.WriteLine($"$ autocapture {string.Join(' ', args)}\n{result.Output}{result.Error}");
        return result;
    }

    /// <summary>The lines of one section: those after its title line up to the next line that is not indented further.</summary>
    private static List<string> Section(string text, string title)
    {
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith(title, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no section '{title}' in:\n{text}");
        var indent = lines[start].Length - lines[start].TrimStart().Length;
        return [.. lines.Skip(start + 1).TakeWhile(l => l.Length - l.TrimStart().Length > indent)];
    }

    private async Task<List<string>> StoreKeysAsync()
    {
        var keys = new List<string>();
        await foreach (var item in new FolderStore(_env.StorePath).ListAsync("captures/", CancellationToken.None))
        {
            keys.Add(item.Key);
        }

        return [.. keys.Order(StringComparer.Ordinal)];
    }

    private async Task<List<string>> ManifestsJsonAsync(params string[] ids)
    {
        var manifests = new List<string>();
        foreach (var id in ids)
        {
            manifests.Add(System.Text.Encoding.UTF8.GetString(AutoCaptureJson.Serialize(await _env.Manifests.ReadAsync(id, CancellationToken.None))));
        }

        return manifests;
    }

    [Fact]
    public async Task Diff_prints_the_stored_diff_and_compares_on_demand_with_a_baseline_named_by_hand()
    {
        var collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1" });
        using var target = await GoTargetProcess.StartAsync("-steady");
        var instance = $"127.0.0.1:{target.Pprof.Port}";
        var settings = BaselineKit.QuietHousekeeping(_slack);
        settings["AutoCapture:Api:ReadTokens:0"] = _token;
        var webhook = await _env.StartWebhookAsync($$$"""
            rules:
              - name: orders-go
                match: [ 'alertname = "GoroutinesHigh"' ]
                target:
                  collector: "{{{collector.Url}}}"
                  process: { runtime: go, address: "http://{{ labels.instance }}" }
                chat: slack
                captures: [ goroutines, { kind: cpu, duration: 2s } ]
                baseline:
                  schedule: every 1m
                  targets: [ { instance: "{{{instance}}}" } ]
            """, settings);

        await BaselineKit.RunHousekeepingAsync(webhook);
        var baseline = Assert.Single(await BaselineKit.WaitForBaselinesAsync(_env, 1, TimeSpan.FromSeconds(60)));
        Assert.Equal(CaptureStatus.Complete, baseline.Status);
        using (var http = new HttpClient())
        {
            (await http.PostAsync(new Uri(target.Pprof, "/planted/leak?n=500"), null)).EnsureSuccessStatusCode();
            (await http.PostAsync(new Uri(target.Pprof, "/planted/hot"), null)).EnsureSuccessStatusCode();
        }

        var id = await BaselineKit.FireAsync(_env, webhook, "GoroutinesHigh", ("instance", instance));
        var incident = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));
        Assert.Equal(CaptureStatus.Complete, incident.Status);
        Assert.NotNull(incident.Diff);

        // Without BASELINE_ID: the diff stored with the capture, its artifacts with their hashes.
        var (storedExit, stored, storedError) = await RunAsync(webhook, "captures", "diff", id);
        Assert.True(storedExit == 0, storedError);
        Assert.Contains($"baseline: {baseline.Id} (scheduled baseline) of {baseline.Target}", stored, StringComparison.Ordinal);
        Assert.StartsWith("+500 goroutines [chan receive] in main.plantedLeakyWorker (0 → 500, created by main.startLeak)", Section(stored, "what changed:")[0].Trim(), StringComparison.Ordinal);
        Assert.Contains(Section(stored, "goroutines:"), l => l.Contains("appeared", StringComparison.Ordinal) && l.EndsWith("(0 → 500)  [chan receive] main.plantedLeakyWorker, created by main.startLeak", StringComparison.Ordinal));
        Assert.EndsWith("main.plantedHotFunction", Section(Section(stored, "cpu profile (cpu)").Aggregate((a, b) => a + "\n" + b), "up:")[0], StringComparison.Ordinal);
        var diffJson = incident.Artifacts.Single(a => a.Name == "diff.json");
        Assert.Contains($"  diff.json\t", stored, StringComparison.Ordinal);
        Assert.Contains($"sha256 {diffJson.Sha256}", stored, StringComparison.Ordinal);
        Assert.Contains(Section(stored, "artifacts:"), l => l.StartsWith("  cpu.diff.pb.gz\t", StringComparison.Ordinal));

        // With BASELINE_ID: compared now, from the stored artifacts, and nothing in the store changes.
        var keysBefore = await StoreKeysAsync();
        var manifestsBefore = await ManifestsJsonAsync(id, baseline.Id);
        var (chosenExit, chosen, chosenError) = await RunAsync(webhook, "captures", "diff", id, baseline.Id);
        var (reverseExit, reverse, reverseError) = await RunAsync(webhook, "captures", "diff", baseline.Id, id);

        Assert.True(chosenExit == 0, chosenError);
        Assert.Contains($"baseline: {baseline.Id} (chosen by hand) of {baseline.Target}", chosen, StringComparison.Ordinal);
        Assert.Equal(incident.Diff!.Headlines[0], Section(chosen, "what changed:")[0].Trim());
        Assert.EndsWith("main.plantedHotFunction", Section(Section(chosen, "cpu profile (cpu)").Aggregate((a, b) => a + "\n" + b), "up:")[0], StringComparison.Ordinal);
        Assert.Contains("artifacts: none (compared on demand: nothing was written)", chosen, StringComparison.Ordinal);
        // The other way round the leak vanishes and the hot function cools: computed, not read back.
        Assert.True(reverseExit == 0, reverseError);
        Assert.Contains($"baseline: {id} (chosen by hand)", reverse, StringComparison.Ordinal);
        Assert.Contains(Section(reverse, "goroutines:"), l => l.Contains("vanished", StringComparison.Ordinal) && l.Contains("(500 → 0)  [chan receive] main.plantedLeakyWorker", StringComparison.Ordinal));
        Assert.EndsWith("main.plantedHotFunction", Section(Section(reverse, "cpu profile (cpu)").Aggregate((a, b) => a + "\n" + b), "down:")[0], StringComparison.Ordinal);
        Assert.Equal(keysBefore, await StoreKeysAsync());
        Assert.Equal(manifestsBefore, await ManifestsJsonAsync(id, baseline.Id));

        // A baseline has no diff of its own: the CLI says how to compare it.
        var (baselineExit, _, baselineError) = await RunAsync(webhook, "captures", "diff", baseline.Id);
        Assert.Equal(1, baselineExit);
        Assert.Contains($"capture {baseline.Id} is a baseline itself; name a capture to compare: autocapture captures diff OTHER_ID {baseline.Id}", baselineError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_ids_unknown_captures_and_unfinished_baselines_are_refused_with_the_reason()
    {
        var seeded = await CaptureSeeder.SeedAsync(new FolderStore(_env.StorePath), DateTimeOffset.UtcNow, 4, perDay: 4);
        var complete = seeded.First(c => c.Status == CaptureStatus.Complete);
        var failed = seeded.First(c => c.Status == CaptureStatus.Failed);
        var skipped = seeded.First(c => c.Status == CaptureStatus.Skipped);
        var webhook = await _env.StartWebhookAsync("rules: []\n", new() { ["AutoCapture:Api:ReadTokens:0"] = _token });
        const string Unknown = "20200101-0123456789abcdef";

        var (failedExit, _, failedError) = await RunAsync(webhook, "captures", "diff", complete.Id, failed.Id);
        var (skippedExit, _, skippedError) = await RunAsync(webhook, "captures", "diff", skipped.Id, complete.Id);
        var (unknownExit, _, unknownError) = await RunAsync(webhook, "captures", "diff", Unknown, complete.Id);
        var (unknownBaselineExit, _, unknownBaselineError) = await RunAsync(webhook, "captures", "diff", complete.Id, Unknown);
        var (malformedExit, _, malformedError) = await RunAsync(webhook, "captures", "diff", complete.Id, "../etc/passwd");
        var (noDiffExit, _, noDiffError) = await RunAsync(webhook, "captures", "diff", complete.Id);

        Assert.Equal(1, failedExit);
        Assert.Contains($"the server answered 400: baseline capture {failed.Id} is failed ({failed.Error}): only complete captures can be compared", failedError, StringComparison.Ordinal);
        Assert.Equal(1, skippedExit);
        Assert.Contains($"the server answered 400: capture {skipped.Id} is skipped", skippedError, StringComparison.Ordinal);
        Assert.Equal(1, unknownExit);
        Assert.Contains($"the server answered 404: capture {Unknown} does not exist", unknownError, StringComparison.Ordinal);
        Assert.Equal(1, unknownBaselineExit);
        Assert.Contains($"the server answered 404: baseline capture {Unknown} does not exist", unknownBaselineError, StringComparison.Ordinal);
        Assert.Equal(1, malformedExit);
        Assert.Contains("'../etc/passwd' is not a capture id", malformedError, StringComparison.Ordinal);
        Assert.Equal(1, noDiffExit);
        Assert.Contains($"capture {complete.Id} has no diff", noDiffError, StringComparison.Ordinal);

        // The endpoint itself, for what the CLI never sends.
        async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, webhook.Url + path);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await _env.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.BadRequest, "not a capture id"), Error(await GetAsync($"/api/captures/not-an-id/diff?baseline={complete.Id}", _token)));
        Assert.Equal((HttpStatusCode.BadRequest, "baseline is not a capture id"), Error(await GetAsync($"/api/captures/{complete.Id}/diff?baseline=%3Cscript%3E", _token)));
        Assert.Equal((HttpStatusCode.BadRequest, "name one baseline capture to compare with: ?baseline=ID"), Error(await GetAsync($"/api/captures/{complete.Id}/diff", _token)));
        Assert.Equal((HttpStatusCode.BadRequest, "name one baseline capture to compare with: ?baseline=ID"), Error(await GetAsync($"/api/captures/{complete.Id}/diff?baseline={complete.Id}&baseline={failed.Id}", _token)));
        Assert.Equal((HttpStatusCode.BadRequest, "a capture cannot be its own baseline"), Error(await GetAsync($"/api/captures/{complete.Id}/diff?baseline={complete.Id}", _token)));
        Assert.Equal((HttpStatusCode.Unauthorized, "a read token is required (Authorization: Bearer …)"), Error(await GetAsync($"/api/captures/{complete.Id}/diff?baseline={failed.Id}", null)));
        Assert.Equal((HttpStatusCode.Unauthorized, "this read token is not valid"), Error(await GetAsync($"/api/captures/{complete.Id}/diff?baseline={failed.Id}", "x-wrong-token-x-wrong-token")));
    }

    private static (HttpStatusCode, string) Error((HttpStatusCode Status, string Body) answer) =>
        (answer.Status, System.Text.Json.JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString()!);
}
