using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using AutoCapture.Core.Hosting;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Each source gets a token bucket per instance, so one runaway sender cannot starve the others or the store. It
/// runs after authentication: were it first, a flood of wrong credentials would spend the real sender's budget and
/// its alerts would get 429 (which Alertmanager does not retry), so they would be lost.
/// </summary>
public sealed class ThrottleStage(IOptions<AutoCaptureOptions> options, RejectionLog rejections, ILogger<ThrottleStage> logger) : IWebhookStage, IDisposable
{
    // Authentication has refused unknown sources, so the map holds at most one bucket per configured source.
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter?> _buckets = new(StringComparer.Ordinal);

    public Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var bucket = _buckets.GetOrAdd(context.Source, Create);
        if (bucket is null)
        {
            return Task.CompletedTask;
        }

        using var lease = bucket.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return Task.CompletedTask;
        }

        if (rejections.ShouldLog($"429 {context.Source}", out var folded))
        {
            logger.LogWarning("Throttled a {Source} webhook: over {Rate} requests per second ({Folded} more throttled since the last such line)", context.Source, options.Value.Sources.For(context.Source)?.MaxRequestsPerSecond, folded);
        }

        throw new WebhookRejectedException(429, $"too many requests from {context.Source}; retry after a second") { RetryAfterSeconds = 1 };
    }

    private TokenBucketRateLimiter? Create(string source)
    {
        var settings = options.Value.Sources.For(source)!;
        if (settings.MaxRequestsPerSecond == 0)
        {
            return null;
        }

        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = settings.MaxRequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
        {
            bucket?.Dispose();
        }
    }
}
