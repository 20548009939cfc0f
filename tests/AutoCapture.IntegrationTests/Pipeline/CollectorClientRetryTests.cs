using System.Collections.Concurrent;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Dispatch;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// The collector client's retries live in its HTTP client's resilience handler, which sends one request message
/// again: each attempt must still carry its own nonce and a valid signature, or the collector refuses the retry as a
/// replay. A stand-in collector that fails the first attempt with 503 checks both with the real verifier.
/// </summary>
public sealed class CollectorClientRetryTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly ConcurrentQueue<(string? Nonce, SignatureVerdict Verdict)> _attempts = new();
    private WebApplication _collector = null!;

    public async Task InitializeAsync()
    {
        var verifier = new RequestVerifier([new SigningKey("default", _env.CollectorKey)], TimeProvider.System, TimeSpan.FromMinutes(5));
        _collector = LoopbackServer.Create();
        _collector.MapPost("/v1/captures", async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var check = verifier.Verify("POST", context.Request.Path + context.Request.QueryString, name => context.Request.Headers[name].FirstOrDefault(), body.ToArray());
            _attempts.Enqueue((context.Request.Headers[RequestSigning.NonceHeader].FirstOrDefault(), check.Verdict));
            context.Response.StatusCode = _attempts.Count == 1 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status202Accepted;
        });
        await _collector.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task A_retried_capture_request_is_signed_afresh_and_accepted()
    {
        var webhook = await _env.StartWebhookAsync(TestEnvironment.RulesMatchingNothing);
        var client = webhook.App.Services.GetRequiredService<CollectorClient>();
        var request = new CaptureRequest(CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Name: "app"), [new CaptureSpec(CaptureKinds.Stacks)], null);

        var answer = await client.RequestCaptureAsync(_collector.Urls.First(), request, CancellationToken.None);

        Assert.Equal(CollectorVerdict.Accepted, answer.Verdict);
        Assert.Equal(2, _attempts.Count);
        Assert.All(_attempts, a => Assert.Equal(SignatureVerdict.Valid, a.Verdict));
        Assert.Equal(2, _attempts.Select(a => a.Nonce).Distinct().Count());
    }
}
