using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>The collector's one endpoint refuses everything that is not a fresh, correctly signed, sensible request.</summary>
public sealed class CollectorEndpointTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private RunningApp _collector = null!;

    public async Task InitializeAsync() => _collector = await _env.StartCollectorAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private string Audience => RequestSigning.AudienceOf(new Uri(_collector.Url));

    private static CaptureRequest Request(string? id = null) =>
        new(id ?? CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Pid: 999_999_9), [new CaptureSpec(CaptureKinds.Stacks)], null);

    private async Task<HttpResponseMessage> SendAsync(byte[] body, string? key = null, DateTimeOffset? at = null, Action<HttpRequestMessage>? tamper = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{_collector.Url}/v1/captures")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        foreach (var (name, value) in headers ?? RequestSigning.Sign(new SigningKey("default", key ?? _env.CollectorKey), "POST", Audience, "/v1/captures", body, at ?? DateTimeOffset.UtcNow))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        tamper?.Invoke(request);
        return await _env.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_signed_request_is_accepted_and_its_replay_is_refused()
    {
        var body = AutoCaptureJson.Serialize(Request());
        var headers = RequestSigning.Sign(new SigningKey("default", _env.CollectorKey), "POST", Audience, "/v1/captures", body, DateTimeOffset.UtcNow);

        using var first = await SendAsync(body, headers: headers);
        using var replay = await SendAsync(body, headers: headers);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("replayed", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await TestEnvironment.WaitForCollectorIdleAsync(_collector);
    }

    [Fact]
    public async Task Unsigned_stale_wrong_key_and_altered_requests_get_401()
    {
        var body = AutoCaptureJson.Serialize(Request());

        using var unsigned = await SendAsync(body, headers: []);
        using var stale = await SendAsync(body, at: DateTimeOffset.UtcNow.AddMinutes(-10));
        using var wrongKey = await SendAsync(body, key: TestEnvironment.Secret());
        using var altered = await SendAsync(body, tamper: r => r.Content = new ByteArrayContent(AutoCaptureJson.Serialize(Request())) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Contains("s off", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, altered.StatusCode);
    }

    [Theory]
    [InlineData("{", "not a capture request")]
    [InlineData("""{"captureId":"../../etc","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}]}""", "not a capture id")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1,"name":"x"},"captures":[{"kind":"stacks"}]}""", "exactly one of pid, name, commandLine or address")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"ruby","pid":1},"captures":[{"kind":"stacks"}]}""", "not supported")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"rm -rf"}]}""", "unknown capture kind")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"cpu","durationSeconds":99999}]}""", "outside 1..")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[]}""", "1 to 16 kinds")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"completionUrl":"file:///etc/passwd"}""", "completionUrl")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef\n","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}]}""", "not a capture id")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"progressUrl":"file:///etc/passwd"}""", "progressUrl must be an http(s) base URL/api/captures/20261121-0123456789abcdef/progress")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"completionUrl":"http://127.0.0.1:9/admin/delete"}""", "completionUrl must be")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"completionUrl":"http://127.0.0.1:9/api/captures/20261121-fedcba9876543210/complete"}""", "completionUrl must be")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"completionUrl":"http://u:p@127.0.0.1:9/api/captures/20261121-0123456789abcdef/complete"}""", "completionUrl must be")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"stacks"}],"completionUrl":"http://127.0.0.1:9/api/captures/20261121-0123456789abcdef/complete","progressUrl":"http://169.254.169.254/api/captures/20261121-0123456789abcdef/progress"}""", "progressUrl must be http://127.0.0.1:9/api/captures/20261121-0123456789abcdef/progress")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"go","address":"http://10.1.2.3:6060"},"captures":[{"kind":"dump"}]}""", "kind 'dump' is not available for go targets by address")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","address":"http://10.1.2.3:6060"},"captures":[{"kind":"cpu"}]}""", "process.address is for go targets")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"go","address":"http://u:secret@10.1.2.3:6060"},"captures":[{"kind":"heap"}]}""", "must not carry credentials")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"go","address":"gopher://10.1.2.3:6060"},"captures":[{"kind":"heap"}]}""", "not an absolute http(s) URL")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"dump","dumpType":"everything"}]}""", "dumpType 'everything' is unknown")]
    [InlineData("""{"captureId":"20261121-0123456789abcdef","process":{"runtime":"dotnet","pid":1},"captures":[{"kind":"heap","dumpType":"mini"}]}""", "dumpType applies to kind 'dump' only")]
    public async Task Signed_but_invalid_requests_get_400_saying_what_is_wrong(string json, string expected)
    {
        using var response = await SendAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_requests_get_413()
    {
        using var response = await SendAsync(new byte[300 * 1024]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_capture_that_cannot_run_still_leaves_its_result_in_the_store()
    {
        var request = Request();
        using var response = await SendAsync(AutoCaptureJson.Serialize(request));
        await TestEnvironment.WaitForCollectorIdleAsync(_collector);

        var result = await _env.Manifests.Store.ReadAsync<CaptureResult>(CaptureIds.ResultKey(request.CaptureId), CancellationToken.None);
        Assert.NotNull(result);
        Assert.False(result.Value.Value.Succeeded);
        Assert.Contains("9999999", result.Value.Value.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_answers()
    {
        using var response = await _env.Http.GetAsync($"{_collector.Url}/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
