using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AutoCapture.Functions.Dispatch;

public enum CollectorVerdict
{
    Accepted,
    Refused,

    /// <summary>The collector is running another capture that this one must not overlap (409): a transient answer.</summary>
    Busy,
    Unreachable,

    /// <summary>
    /// A request may have reached the collector but no answer came back (it timed out, or the connection broke
    /// after the request went out): the collector may be running the capture.
    /// </summary>
    NoAnswer,
}

public sealed record CollectorAnswer(CollectorVerdict Verdict, string Message);

/// <summary>
/// Sends signed capture requests to a collector. Network faults and 5xx answers are retried with jittered
/// backoff (<see cref="Retries"/>, the HTTP client's resilience handler); a 4xx is the collector's answer (bad signature, busy, invalid request) and is not here (the dispatcher
/// asks a busy collector again, <see cref="BusyCollectorRetry"/>). A request that
/// got no answer is told apart from one that never got through (connection refused), because only the first
/// may have started a capture.
/// </summary>
public sealed class CollectorClient
{
    private readonly HttpClient _http;
    private readonly AutoCaptureOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<CollectorClient> _logger;

    public CollectorClient(HttpClient http, IOptions<AutoCaptureOptions> options, TimeProvider clock, ILogger<CollectorClient> logger)
    {
        _http = http;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The collector HTTP client's resilience: MaxAttempts tries, each within RequestTimeout.</summary>
    public static void Retries(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AutoCaptureOptions>>().Value.Collector;
        var logger = services.GetRequiredService<ILogger<CollectorClient>>();
        if (options.MaxAttempts > 1)
        {
            pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                Delay = TimeSpan.FromMilliseconds(500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .Handle<Polly.Timeout.TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500),
                OnRetry = args =>
                {
                    logger.LogWarning("Collector request failed ({Reason}); retry {Attempt} in {Delay}", args.Outcome.Exception is { } e ? Describe(e) : $"HTTP {(int)args.Outcome.Result!.StatusCode}", args.AttemptNumber + 1, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        pipeline.AddTimeout(options.RequestTimeout);
    }

    public async Task<CollectorAnswer> RequestCaptureAsync(string collector, CaptureRequest request, CancellationToken cancellationToken)
    {
        var answer = await AskAsync(collector, request, cancellationToken);
        WebhookMetrics.Answered(answer.Verdict);
        return answer;
    }

    private async Task<CollectorAnswer> AskAsync(string collector, CaptureRequest request, CancellationToken cancellationToken)
    {
        var body = AutoCaptureJson.Serialize(request);
        var key = new SigningKey(_options.Collector.KeyId, _options.Collector.SigningKey!);
        var uri = new Uri(new Uri(collector.TrimEnd('/') + "/"), "v1/captures");
        using var message = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        // Sign each attempt afresh: a retried request must carry a new nonce or the collector refuses it as a replay.
        message.OnEachAttempt(attempt => RequestSigning.Sign(attempt, key, body, _clock.GetUtcNow()));
        try
        {
            using var response = await _http.SendAsync(message, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                return new CollectorAnswer(CollectorVerdict.Accepted, "accepted");
            }

            // Whatever answers at the address wrote the body, and the message goes to the manifest, the capture page
            // and chat: only the status and a fixed text leave this method; the body is for whoever debugs.
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Collector at {Collector} answered {Status}: {Body}", uri.Authority, (int)response.StatusCode, await ReadMessageAsync(response, cancellationToken));
            }

            var status = (int)response.StatusCode;
            var verdict = response.StatusCode == HttpStatusCode.Conflict ? CollectorVerdict.Busy
                : status >= 500 ? CollectorVerdict.Unreachable
                : CollectorVerdict.Refused;
            return new CollectorAnswer(verdict, $"collector at {uri.Authority} answered {status}: {Meaning(response.StatusCode)}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Exception texts can quote the peer ("invalid status line: 'SSH-2.0-…'"), so they stay in the log too.
            _logger.LogDebug(e, "Collector request to {Collector} failed", uri.Authority);
            return message.MayHaveArrived()
                ? new CollectorAnswer(CollectorVerdict.NoAnswer, $"collector at {uri.Authority} did not answer: {Describe(e)}")
                : new CollectorAnswer(CollectorVerdict.Unreachable, $"collector at {uri.Authority} unreachable: {Describe(e)}");
        }
    }

    private static string Meaning(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "the signature was refused (signing keys or clocks differ)",
        HttpStatusCode.Conflict => "the collector is busy with other captures",
        HttpStatusCode.BadRequest => "the collector refused the request as invalid",
        HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed => "no collector answers at this address",
        HttpStatusCode.TooManyRequests => "the collector is throttling requests",
        >= HttpStatusCode.InternalServerError => "the collector failed or is unavailable; its log says why",
        _ => "not an answer a collector gives",
    };

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "the connection was refused or failed",
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name did not resolve",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "the TLS connection failed (untrusted certificate or wrong name)",
        HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded } => "the answer was not HTTP from a collector",
        HttpRequestException => "the connection broke",
        _ => "timed out",
    };

    private static async Task<string> ReadMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("error", out var message) || document.RootElement.TryGetProperty("message", out message))
                && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON: report the text as it is.
        }

        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
