using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>
/// Sends requests to the blob service: pins the service version, authorizes each attempt, and retries transient
/// failures (408, 429, 500, 502, 503, 504, network faults, attempt time-outs) with jittered exponential backoff,
/// honouring <c>Retry-After</c>. A 409 or 412 is an answer, never retried. Every attempt has a time-out, so a
/// dead endpoint ends in an error rather than a hang.
/// </summary>
internal sealed class BlobRequests : IDisposable
{
    /// <summary>A service version Azurite 3.37 accepts (it accepts up to 2025-11-05) that has blob index tags.</summary>
    public const string ServiceVersion = "2025-01-05";
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly BlobAuthorization _authorization;
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience;

    public BlobRequests(BlobAuthorization authorization, StoreOptions options, HttpMessageHandler? handler)
    {
        _authorization = authorization;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = Math.Max(16, options.UploadParallelism * 2),
        })
        {
            // Polly's per-attempt timeout governs; HttpClient's own would also cut long body streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _resilience = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<IOException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
    }

    public string AuthorizationKind => _authorization.Kind;

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// Sends a request built afresh for each attempt (a sent request cannot be sent again). With
    /// <paramref name="headersOnly"/>, returns once headers arrive so the body can be streamed by the caller.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool headersOnly, CancellationToken cancellationToken)
    {
        try
        {
            return await _resilience.ExecuteAsync(async token =>
            {
                var request = build();
                request.Headers.TryAddWithoutValidation("x-ms-version", ServiceVersion);
                request.Headers.TryAddWithoutValidation("x-ms-date", DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation("x-ms-client-request-id", Guid.NewGuid().ToString());
                await _authorization.ApplyAsync(request, token);
                var sent = Stopwatch.GetTimestamp();
                var response = await _http.SendAsync(request, headersOnly ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, token);
                StoreMetrics.Observe(StoreMetrics.Of(request), Stopwatch.GetElapsedTime(sent));
                if (!headersOnly)
                {
                    request.Dispose();
                }

                return response;
            }, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or IOException)
        {
            // The exception text names the host at most; request URIs (which may carry a SAS) are not in it.
            throw new StoreException($"Azure Blob Storage could not be reached: {e.Message}", e);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        var retryAfter = response?.Headers.RetryAfter;
        var delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is not { } d)
        {
            return null;
        }

        return d < TimeSpan.Zero ? TimeSpan.Zero : d > MaxRetryAfter ? MaxRetryAfter : d;
    }

    public static HttpContent Bytes(ReadOnlyMemory<byte> body, string? contentType = null)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentLength = body.Length;
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    public void Dispose() => _http.Dispose();
}
