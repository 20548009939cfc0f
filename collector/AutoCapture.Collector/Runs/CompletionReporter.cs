using System.Net.Http.Headers;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// Sends the signed result to the webhook app, retrying with backoff while it is down. The result is already in
/// the store by then, so a completion that never arrives can still be picked up from there.
/// </summary>
public sealed class CompletionReporter
{
    private readonly HttpClient _http;
    private readonly IOptions<CollectorOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<CompletionReporter> _logger;

    public CompletionReporter(HttpClient http, IOptions<CollectorOptions> options, TimeProvider clock, ILogger<CompletionReporter> logger)
    {
        _http = http;
        _options = options;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>
    /// The completion HTTP client's resilience: while the webhook app is down or throttling, up to eight retries with
    /// backoff up to 30 s (or what its Retry-After asks), each attempt within 15 s.
    /// </summary>
    public static void Retries(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILogger<CompletionReporter>>();
        var maxDelay = TimeSpan.FromSeconds(30);
        pipeline
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 8,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = maxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .Handle<Polly.Timeout.TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == System.Net.HttpStatusCode.TooManyRequests),
                // The pipeline waits on the system clock, so Retry-After's date is read against it too.
                DelayGenerator = args => ValueTask.FromResult(HttpResilience.RetryAfter(args.Outcome.Result, maxDelay, TimeProvider.System)),
                OnRetry = args =>
                {
                    logger.LogWarning("Completion for a capture not delivered ({Reason}); retry {Attempt} in {Delay}", args.Outcome.Exception?.Message ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}", args.AttemptNumber + 1, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(15));
    }

    public async Task ReportAsync(string completionUrl, CaptureResult result, CancellationToken cancellationToken)
    {
        var body = AutoCaptureJson.Serialize(result);
        var key = new SigningKey(_options.Value.KeyId, _options.Value.SigningKey!);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, completionUrl)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            // Signed per attempt: the webhook app refuses a nonce it has seen.
            request.OnEachAttempt(attempt => RequestSigning.Sign(attempt, key, body, _clock.GetUtcNow()));
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                _logger.LogInformation("Capture {CaptureId}: completion delivered", result.CaptureId);
            }
            else
            {
                _logger.LogWarning("Capture {CaptureId}: the webhook app refused the completion with {Status}: {Answer}", result.CaptureId, (int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException)
        {
            _logger.LogError("Capture {CaptureId}: completion could not be delivered ({Reason}); the result stays in the store", result.CaptureId, e.Message);
        }
    }

    /// <summary>
    /// Tells the webhook app the capture is running or uploading, for three seconds at most: a lost report only
    /// leaves the manifest a step behind until completion, so it is not worth delaying the capture for.
    /// </summary>
    public async Task ReportProgressAsync(string progressUrl, CaptureProgress progress, CancellationToken cancellationToken)
    {
        var body = AutoCaptureJson.Serialize(progress);
        var key = new SigningKey(_options.Value.KeyId, _options.Value.SigningKey!);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3), _clock);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, progressUrl)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            // The client's retries may try again within the three seconds; each attempt carries its own nonce.
            request.OnEachAttempt(attempt => RequestSigning.Sign(attempt, key, body, _clock.GetUtcNow()));
            using var response = await _http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                _logger.LogInformation("Capture {CaptureId}: progress {State} answered {Status}", progress.CaptureId, progress.State, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("Capture {CaptureId}: progress {State} not delivered ({Reason})", progress.CaptureId, progress.State, e.Message);
        }
    }
}
