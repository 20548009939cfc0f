using System.Net;
using AutoCapture.Core.Hosting;
using Polly;
using Polly.Retry;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// How every chat service is called (the resilience handler of the chat HTTP client): retries on network errors,
/// 5xx and 429 — waiting as long as Retry-After says (capped at two minutes) — then a timeout over the whole exchange.
/// </summary>
public static class ChatHttp
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(2);

    /// <summary>The longest one message's exchange may take, retries and waits included.</summary>
    public static readonly TimeSpan MaxExchange = TimeSpan.FromMinutes(3);

    /// <summary>The HTTP client every chat notifier posts with (<see cref="ChatChannels.HttpClientName"/>), retries included.</summary>
    public static IHttpClientBuilder AddChatHttp(this IServiceCollection services) =>
        services.AddHttpClient(ChatChannels.HttpClientName).AddRetries("chat", Retries);

    public static void Retries(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider _) =>
        pipeline
            // Over the whole exchange: four waits of up to two minutes would otherwise hold a capture's message for long.
            .AddTimeout(MaxExchange)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 4,
                Delay = TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                // The pipeline waits on the system clock, so Retry-After's date is read against it too.
                DelayGenerator = args => ValueTask.FromResult(HttpResilience.RetryAfter(args.Outcome.Result, MaxRetryAfter, TimeProvider.System)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(15));

    /// <summary>Fails with the service's status and (shortened) answer; never the URL, which may carry a secret.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string service, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{service} answered {(int)response.StatusCode}: {Shorten(answer, 200)}");
        }
    }

    public static string Shorten(string text, int limit) => text.Length <= limit ? text : text[..(limit - 1)] + "…";
}
