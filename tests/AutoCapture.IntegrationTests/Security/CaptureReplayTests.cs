using System.Net;
using System.Net.Http.Headers;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// A signed capture request harvested on the wire works once, at the collector it names, and only while that collector
/// runs: real collectors on loopback, one restarted in place of another.
/// </summary>
public sealed class CaptureReplayTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static CaptureRequest Request() =>
        new(CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Name: $"absent-{Guid.NewGuid():N}"), [new CaptureSpec(CaptureKinds.Stacks)], null);

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(RunningApp collector, byte[] body, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{collector.Url}/v1/captures")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _env.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private IReadOnlyList<KeyValuePair<string, string>> Sign(RunningApp collector, byte[] body, DateTimeOffset at) =>
        RequestSigning.Sign(new SigningKey("default", _env.CollectorKey), "POST", RequestSigning.AudienceOf(new Uri(collector.Url)), "/v1/captures", body, at);

    [Fact]
    public async Task A_request_for_one_collector_is_refused_by_another()
    {
        var first = await _env.StartCollectorAsync();
        var second = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:Audiences:0"] = "collector-b" });
        var body = AutoCaptureJson.Serialize(Request());
        var forFirst = Sign(first, body, DateTimeOffset.UtcNow);

        var atSecond = await SendAsync(second, body, forFirst);
        var atFirst = await SendAsync(first, body, forFirst);
        var meantForSecond = await SendAsync(second, body, RequestSigning.Sign(new SigningKey("default", _env.CollectorKey), "POST", "collector-b:7080", "/v1/captures", body, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.Unauthorized, atSecond.Status);
        Assert.Contains($"request is meant for {RequestSigning.AudienceOf(new Uri(first.Url))}, not this collector", atSecond.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, atFirst.Status);
        Assert.Equal(HttpStatusCode.Accepted, meantForSecond.Status);
        await TestEnvironment.WaitForCollectorIdleAsync(first);
        await TestEnvironment.WaitForCollectorIdleAsync(second);
    }

    [Fact]
    public async Task A_request_accepted_before_a_restart_is_refused_after_it()
    {
        var before = await _env.StartCollectorAsync();
        var body = AutoCaptureJson.Serialize(Request());
        var harvested = Sign(before, body, DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(before, body, harvested)).Status);
        await TestEnvironment.WaitForCollectorIdleAsync(before);
        await before.App.StopAsync();

        // The same host's collector started afresh a minute later (its clock says so), well inside the
        // request's ±5 minute window; it remembers no nonce.
        var after = await _env.StartCollectorAsync(configure: b => b.Services.AddSingleton<TimeProvider>(new LaterClock(TimeSpan.FromMinutes(1))));
        var replay = await SendAsync(after, body, harvested);

        Assert.Equal(HttpStatusCode.Unauthorized, replay.Status);
        Assert.Contains("signed before this process started", replay.Body, StringComparison.Ordinal);
    }

    private sealed class LaterClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
