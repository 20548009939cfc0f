using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.IntegrationTests.Retrieval;

/// <summary>
/// GET /api/captures and GET /api/captures/{id} on the real webhook app over a folder store holding many captures:
/// the read token, every filter against what was seeded, newest-first paging with cursors, and bad input.
/// </summary>
public sealed class CaptureApiTests : IAsyncLifetime
{
    private const int Seeded = 130;
    private readonly TestEnvironment _env = new();
    private readonly string _readToken = TestEnvironment.Secret();
    private List<CaptureManifest> _captures = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        var now = DateTimeOffset.UtcNow;
        // 120 over the last 4 days, and 10 filed 40 days ago (outside the default search range).
        _captures = await CaptureSeeder.SeedAsync(new FolderStore(_env.StorePath), now, 120, perDay: 30);
        _captures.AddRange(await CaptureSeeder.SeedAsync(new FolderStore(_env.StorePath), now, Seeded - 120, perDay: 30, dayOffset: 40));
        _app = await _env.StartWebhookAsync("rules: []\n", new() { ["AutoCapture:Api:ReadTokens:0"] = _readToken });
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(string pathAndQuery, string? token = "valid")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _app.Url + pathAndQuery);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "valid" ? _readToken : token);
        }

        var response = await _env.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<List<CaptureListItem>> ListAllAsync(string query, int limit)
    {
        var all = new List<CaptureListItem>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (status, body, _) = await GetAsync($"/api/captures?limit={limit}{query}{(cursor is null ? string.Empty : $"&cursor={cursor}")}");
            Assert.True(status == HttpStatusCode.OK, body);
            var page = AutoCaptureJson.Deserialize<CaptureListPage>(System.Text.Encoding.UTF8.GetBytes(body));
            Assert.True(page.Captures.Count <= limit);
            all.AddRange(page.Captures);
            cursor = page.NextCursor;
            Assert.True(++pages < 100, "paging does not end");
        }
        while (cursor is not null);

        return all;
    }

    [Fact]
    public async Task Listing_needs_a_read_token_and_the_single_capture_takes_a_token_or_a_signed_link()
    {
        var (missing, missingBody, missingResponse) = await GetAsync("/api/captures", token: null);
        var (wrong, _, _) = await GetAsync("/api/captures", token: TestEnvironment.Secret());
        var (ok, _, _) = await GetAsync("/api/captures");
        var id = _captures[0].Id;
        var (byToken, byTokenBody, _) = await GetAsync($"/api/captures/{id}?format=json");
        var (byWrongToken, _, _) = await GetAsync($"/api/captures/{id}?format=json", token: "nope-nope-nope-nope");
        var (artifact, artifactBody, _) = await GetAsync($"/api/captures/{id}/artifacts/stacks.txt");

        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Contains("read token is required", missingBody, StringComparison.Ordinal);
        Assert.Equal("Bearer realm=\"autocapture\"", missingResponse.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.OK, byToken);
        Assert.Equal(id, JsonDocument.Parse(byTokenBody).RootElement.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, byWrongToken);
        Assert.Equal(HttpStatusCode.OK, artifact);
        Assert.Equal(_captures[0].Artifacts[0].Size, artifactBody.Length > 0 ? (await (await GetAsync($"/api/captures/{id}/artifacts/stacks.txt")).Response.Content.ReadAsByteArrayAsync()).Length : 0);

        // Without configured tokens the API is off, and says so.
        var closed = await _env.StartWebhookAsync("rules: []\n");
        using var request = new HttpRequestMessage(HttpMethod.Get, closed.Url + "/api/captures");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _readToken);
        using var disabled = await _env.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, disabled.StatusCode);
        Assert.Contains("no AutoCapture:Api:ReadTokens", await disabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_follow_each_other_newest_first_without_gaps_or_repeats()
    {
        var listed = await ListAllAsync(string.Empty, limit: 17);

        var expected = _captures.Where(c => c.CreatedAt > DateTimeOffset.UtcNow.AddDays(-30)).NewestFirst().Select(c => c.Id).ToList();
        Assert.Equal(120, expected.Count);
        Assert.Equal(expected, listed.Select(c => c.Id));

        // `since` reaches the older ones the default range leaves out.
        var everything = await ListAllAsync("&since=60d", limit: 50);
        Assert.Equal(_captures.NewestFirst().Select(c => c.Id), everything.Select(c => c.Id));
    }

    [Theory]
    [InlineData("&alert=highcpu")]
    [InlineData("&alert=HighCPU&host=web-2")]
    [InlineData("&status=failed")]
    [InlineData("&process=cart&status=complete")]
    [InlineData("&rule=checkout-rule&label=env%3Dprod")]
    [InlineData("&label=service%3Dcart&label=env%3Dstage")]
    [InlineData("&host=web-4&since=60d")]
    [InlineData("&source=alertmanager&alert=Deadlock")]
    public async Task Every_filter_returns_exactly_the_captures_that_match_it(string query)
    {
        var filter = ParseFilter(query);

        var listed = await ListAllAsync(query, limit: 9);

        var expected = _captures.Where(filter).NewestFirst().Select(c => c.Id).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, listed.Select(c => c.Id));
    }

    [Fact]
    public async Task A_time_range_bounds_the_listing()
    {
        var sorted = _captures.Where(c => c.CreatedAt > DateTimeOffset.UtcNow.AddDays(-30)).OrderBy(c => c.CreatedAt).ToList();
        var since = sorted[20].CreatedAt;
        var until = sorted[70].CreatedAt;

        var listed = await ListAllAsync($"&since={Uri.EscapeDataString(since.ToString("O"))}&until={Uri.EscapeDataString(until.ToString("O"))}", limit: 20);

        Assert.Equal(sorted.Skip(20).Take(51).NewestFirst().Select(c => c.Id), listed.Select(c => c.Id));
    }

    [Theory]
    [InlineData("?status=exploded", "status 'exploded' is not one of")]
    [InlineData("?limit=0", "limit '0' is not a number from 1 to 200")]
    [InlineData("?limit=5000", "limit '5000'")]
    [InlineData("?cursor=not-a-cursor", "the cursor is not one a listing handed out")]
    // Well formed, but at day 0001-01-01: before any capture, and the walk back from it would leave the calendar.
    [InlineData("?cursor=MXwwMDAxMDEwMXx8", "the cursor is not one a listing handed out")]
    [InlineData("?colour=red", "unknown parameter 'colour'")]
    [InlineData("?alert=a&alert=b", "given more than once")]
    [InlineData("?since=yesterday", "since 'yesterday' is neither")]
    [InlineData("?since=1d&until=2d", "since is after until")]
    [InlineData("?label=novalue", "label 'novalue' is not NAME=VALUE")]
    [InlineData("?since=1000000w", "reaches before the calendar begins")]
    [InlineData("?since=0001-01-01T00:00:00Z", "since '0001-01-01T00:00:00Z' reaches before the calendar begins")]
    [InlineData("?until=0001-01-05T00:00:00Z", "until '0001-01-05T00:00:00Z' reaches before the calendar begins")]
    public async Task Bad_queries_get_400_saying_what_is_wrong(string query, string says)
    {
        var (status, body, _) = await GetAsync("/api/captures" + query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(says, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fuzzed_query_strings_get_200_or_400_never_a_crash()
    {
        var names = new[] { "alert", "host", "process", "status", "label", "since", "until", "limit", "cursor", "x" };
        var pairs = Gen.Elements(names).SelectMany(name => ArbMap.Default.GeneratorFor<string>().Select(value => $"{name}={Uri.EscapeDataString(value ?? string.Empty)}"));
        var arbitrary = Gen.ListOf(pairs).Select(list => "?" + string.Join('&', list)).ToArbitrary();

        var outcomes = new List<HttpStatusCode>();
        Prop.ForAll(arbitrary, query =>
        {
            var (status, body, _) = GetAsync("/api/captures" + query).GetAwaiter().GetResult();
            outcomes.Add(status);
            return (status == HttpStatusCode.OK || (status == HttpStatusCode.BadRequest && body.Contains("\"error\"", StringComparison.Ordinal))).Label($"{query} → {(int)status} {body}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
        Assert.Contains(HttpStatusCode.BadRequest, outcomes);
    }

    private static Func<CaptureManifest, bool> ParseFilter(string query)
    {
        var parts = query.TrimStart('&').Split('&').Select(p => p.Split('=', 2)).Select(p => (Name: p[0], Value: Uri.UnescapeDataString(p[1]))).ToList();
        var now = DateTimeOffset.UtcNow;
        // Filters the index answers search all of history; others (labels alone) the default 30 days unless `since` says.
        var allOfHistory = parts.Any(p => p.Name is "since" or "alert" or "host" or "process" or "rule" or "source" or "status");
        return manifest => (allOfHistory || manifest.CreatedAt > now.AddDays(-30)) && parts.All(p => p.Name switch
        {
            "alert" => string.Equals(manifest.Alert.Name, p.Value, StringComparison.OrdinalIgnoreCase),
            "host" => manifest.Target.Host == p.Value,
            "status" => manifest.Status.ToString().Equals(p.Value, StringComparison.OrdinalIgnoreCase),
            "process" => manifest.Target.Process.Name == p.Value,
            "rule" => manifest.Rule == p.Value,
            "source" => manifest.Alert.Source == p.Value,
            "label" => manifest.Alert.Labels.GetValueOrDefault(p.Value.Split('=')[0]) == p.Value.Split('=')[1],
            "since" => true,
            _ => throw new ArgumentException(p.Name),
        });
    }
}
