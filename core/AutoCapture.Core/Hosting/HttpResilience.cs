using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace AutoCapture.Core.Hosting;

/// <summary>
/// Retries for the typed HTTP clients, as Microsoft.Extensions.Http.Resilience handlers in the client's pipeline.
/// Those handlers send one request message again on each attempt, so what must differ per attempt — a signature
/// with a fresh nonce or timestamp — is a step the request carries (<see cref="OnEachAttempt"/>), run by a handler
/// inside the retries; the same handler notes whether any attempt may have reached the peer.
/// </summary>
public static class HttpResilience
{
    private static readonly HttpRequestOptionsKey<Action<HttpRequestMessage>> EachAttempt = new("autocapture.each-attempt");
    private static readonly HttpRequestOptionsKey<bool> MayHaveArrivedKey = new("autocapture.may-have-arrived");

    /// <summary>Retries (and timeouts) configured by <paramref name="configure"/> around the client's sends, with per-attempt steps inside them.</summary>
    public static IHttpClientBuilder AddRetries(this IHttpClientBuilder builder, string name, Action<ResiliencePipelineBuilder<HttpResponseMessage>, IServiceProvider> configure)
    {
        builder.AddResilienceHandler(name, (pipeline, context) => configure(pipeline, context.ServiceProvider));
        // The pipeline's timeouts govern: HttpClient's own would cut the whole exchange, waits between attempts included.
        return builder.ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(() => new AttemptHandler());
    }

    /// <summary>Runs <paramref name="step"/> before each attempt at sending <paramref name="request"/> (signing it afresh).</summary>
    public static HttpRequestMessage OnEachAttempt(this HttpRequestMessage request, Action<HttpRequestMessage> step)
    {
        request.Options.Set(EachAttempt, step);
        return request;
    }

    /// <summary>Whether an attempt failed after its request may have reached the peer (not refused, unresolved or TLS-failed).</summary>
    public static bool MayHaveArrived(this HttpRequestMessage request) => request.Options.TryGetValue(MayHaveArrivedKey, out var arrived) && arrived;

    /// <summary>Failures that happen before a byte of the request can reach the peer.</summary>
    public static bool NeverSent(Exception e) =>
        e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };

    /// <summary>
    /// How long a 429 or 503 asks to wait (Retry-After as seconds or a date), capped at <paramref name="max"/>; null
    /// when it does not say, so the retry's own backoff applies.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max, TimeProvider clock)
    {
        if (response?.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date - clock.GetUtcNow()) ?? TimeSpan.Zero;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }

    private sealed class AttemptHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Options.TryGetValue(EachAttempt, out var step))
            {
                step(request);
            }

            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (Exception e) when (!NeverSent(e))
            {
                request.Options.Set(MayHaveArrivedKey, true);
                throw;
            }
        }
    }
}
