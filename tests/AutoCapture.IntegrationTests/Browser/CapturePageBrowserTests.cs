using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Links;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Browser;

/// <summary>
/// The capture page of a real CPU capture in a real browser (Debian's chromium, headless, driven by Playwright): the
/// summary tables and artifact list are there, the embedded speedscope viewer loads the profile from the same origin
/// under the app's CSP, opens in Left Heavy and shows the target's hot method; the findings lead the page. Screenshots
/// are saved with the test results.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class CapturePageBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly TestEnvironment _env = new();
    private RunningApp _collector = null!;

    public async Task InitializeAsync() =>
        _collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-allowed-" });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task The_page_of_a_cpu_capture_lists_its_artifacts_and_renders_its_flame_graph()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run tests/setup (it installs Debian's chromium)");
        using var target = await TestTargetProcess.StartAsync("cpu", $"tag-allowed-{Guid.NewGuid():N}");
        var webhook = await _env.StartWebhookAsync($$$"""
            rules:
              - name: page
                match: [ 'alertname = "HighCPU"' ]
                target:
                  collector: "{{{_collector.Url}}}"
                  host: "{{ labels.instance | host }}"
                  process: { commandLine: "{{ labels.tag }}" }
                captures: [ { kind: cpu, duration: 3s } ]
            """);
        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("instance", "checkout-7f9:9100"), ("tag", target.Tag))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(90));
        Assert.True(manifest.Status == CaptureStatus.Complete, manifest.Error);
        target.Kill();
        var pageUrl = webhook.App.Services.GetRequiredService<PublicUrls>().CapturePage(id);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 2200 } });
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => problems.Add(error);

        var loaded = await page.GotoAsync(pageUrl);
        Assert.Equal(200, loaded!.Status);

        // The artifacts table lists exactly the manifest's artifacts, each with its size.
        var names = await page.Locator("#artifacts tr td:first-child a").AllTextContentsAsync();
        Assert.Equal(manifest.Artifacts.Select(a => a.Name).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        var hot = await page.Locator("#cpu-inclusive").TextContentAsync();
        Assert.Contains("PlantedHotMethod", hot, StringComparison.Ordinal);

        // Findings lead the page, before the comparison, the flame graph and the tables, naming the planted method.
        Assert.Equal("findings", await page.Locator("body > h2, body > section").First.GetAttributeAsync("id"));
        Assert.Contains("of CPU is in AutoCapture.TestTarget.PlantedWork.PlantedHotMethod", await page.Locator("#findings .finding").First.TextContentAsync(), StringComparison.Ordinal);

        // The viewer loads the profile (same origin, through the page's own signed link) and draws it, in Left Heavy
        // before anyone clicks.
        var viewer = page.FrameLocator("#flamegraph");
        await viewer.Locator("canvas").First.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 30_000 });
        // speedscope marks the active view's tab only by its colour (its class names are minified hashes).
        async Task<string> Background(string tab) => await viewer.GetByText(tab).First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        var (leftHeavy, timeOrder, sandwich) = (await Background("Left Heavy"), await Background("Time Order"), await Background("Sandwich"));
        Assert.Equal(timeOrder, sandwich);
        Assert.NotEqual(timeOrder, leftHeavy);
        await page.ScreenshotAsync(new() { Path = ScreenshotPath("capture-page-findings.png"), FullPage = true });
        await viewer.GetByText("Sandwich").First.ClickAsync();
        // speedscope shows one thread at a time ("n" moves to the next): the hot method is on one of the 8 threads.
        var hotMethod = viewer.GetByText("PlantedHotMethod").First;
        for (var thread = 0; thread < 16 && !await hotMethod.IsVisibleAsync(); thread++)
        {
            await viewer.Locator("body").PressAsync("n");
            await page.WaitForTimeoutAsync(300);
        }

        await hotMethod.WaitForAsync(new() { Timeout = 10_000 });
        await viewer.GetByText("Left Heavy").First.ClickAsync();
        await viewer.Locator("canvas").First.WaitForAsync(new() { State = WaitForSelectorState.Visible });

        var screenshot = ScreenshotPath("capture-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>With the CI results (.ci/results) when they are being collected, else under the repository's TestResults.</summary>
    private static string ScreenshotPath(string name)
    {
        var ciResults = Path.Combine(RepositoryPaths.Root, ".ci", "results");
        var folder = Directory.Exists(ciResults) ? ciResults : Path.Combine(RepositoryPaths.Root, "TestResults");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
