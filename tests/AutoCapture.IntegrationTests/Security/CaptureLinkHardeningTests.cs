using System.Net;
using System.Text.RegularExpressions;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Capture pages and artifacts on the real webhook app: a page link cannot be turned into longer access, nothing
/// token-bearing is cached, and an id with a trailing newline is a 400.
/// </summary>
public sealed partial class CaptureLinkHardeningTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private CaptureManifest _capture = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _capture = (await CaptureSeeder.SeedAsync(new FolderStore(_env.StorePath), DateTimeOffset.UtcNow, 1, perDay: 1)).Single();
        _app = await _env.StartWebhookAsync("rules: []\n", new() { ["AutoCapture:Links:Lifetime"] = "7.00:00:00" });
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [GeneratedRegex(@"token=([0-9]+\.[A-Za-z0-9_-]+)")]
    private static partial Regex Token();

    [Fact]
    public async Task Artifact_links_on_a_page_expire_no_later_than_the_page_link_that_opened_it()
    {
        var pageToken = new LinkSigner(_env.LinkKey, TimeProvider.System).CreateToken(_capture.Id, LinkSigner.CapturePage, TimeSpan.FromHours(1));

        using var page = await _env.Http.GetAsync($"{_app.Url}/api/captures/{_capture.Id}?token={Uri.EscapeDataString(pageToken)}");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var artifactTokens = Token().Matches(WebUtility.HtmlDecode(html)).Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(artifactTokens);
        Assert.All(artifactTokens, token => Assert.True(LinkSigner.ExpiresAt(token) <= LinkSigner.ExpiresAt(pageToken), $"artifact link {token} outlives the page link {pageToken}"));

        // The links still work: bounded, not broken.
        using var artifact = await _env.Http.GetAsync($"{_app.Url}/api/captures/{_capture.Id}/artifacts/stacks.txt?token={Uri.EscapeDataString(artifactTokens[0])}");
        Assert.Equal(HttpStatusCode.OK, artifact.StatusCode);
    }

    [Fact]
    public async Task Token_bearing_pages_and_artifacts_are_never_cached()
    {
        var signer = new LinkSigner(_env.LinkKey, TimeProvider.System);
        var pageUrl = $"{_app.Url}/api/captures/{_capture.Id}?token={Uri.EscapeDataString(signer.CreateToken(_capture.Id, LinkSigner.CapturePage, TimeSpan.FromHours(1)))}";
        var artifactUrl = $"{_app.Url}/api/captures/{_capture.Id}/artifacts/stacks.txt?token={Uri.EscapeDataString(signer.CreateToken(_capture.Id, "stacks.txt", TimeSpan.FromHours(1)))}";

        foreach (var url in new[] { pageUrl, artifactUrl, pageUrl.Replace("?token=", "?token=1", StringComparison.Ordinal) })
        {
            using var response = await _env.Http.GetAsync(url);
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{url} answered {(int)response.StatusCode} without Cache-Control: no-store");
        }
    }

    [Fact]
    public async Task An_artifact_changed_in_the_store_after_its_capture_completed_is_not_served()
    {
        var stacks = _capture.Artifacts.Single(a => a.Name == "stacks.txt");
        var url = $"{_app.Url}/api/captures/{_capture.Id}/artifacts/stacks.txt?token={Uri.EscapeDataString(new LinkSigner(_env.LinkKey, TimeProvider.System).CreateToken(_capture.Id, "stacks.txt", TimeSpan.FromHours(1)))}";
        using (var intact = await _env.Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, intact.StatusCode);
        }

        // Behind the app's back, as a holder of a store credential could: same size, other bytes.
        await new FolderStore(_env.StorePath).WriteAsync(CaptureIds.ArtifactKey(_capture.Id, "stacks.txt"), new MemoryStream(new byte[stacks.Size]), WriteCondition.None, CancellationToken.None);
        using var changed = await _env.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Contains("artifact stacks.txt does not match its SHA-256 in the store; not served", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{0}%0A")]
    [InlineData("{0}%0A/artifacts/stacks.txt")]
    [InlineData("{0}/artifacts/stacks.txt%0A")]
    public async Task A_trailing_newline_in_an_id_or_artifact_name_is_a_400(string path)
    {
        using var response = await _env.Http.GetAsync($"{_app.Url}/api/captures/{string.Format(System.Globalization.CultureInfo.InvariantCulture, path, _capture.Id)}?token=1.x");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches("not (a capture id|an artifact name)", await response.Content.ReadAsStringAsync());
    }
}
