using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// First stage: each source gets a token bucket per instance, so one runaway or hostile sender cannot starve
/// the others or the store. Runs before authentication so even unauthenticated floods cost little.
/// </summary>
public sealed class ThrottleStage(IOptions<AutoCaptureOptions> options, ILogger<ThrottleStage> logger) : IWebhookStage, IDisposable
{
    // The source is whatever the URL says, so unknown names share one key: a prober cannot grow the map without bound.
    private const string UnknownSource = "";
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter?> _buckets = new(StringComparer.Ordinal);

    public Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var key = options.Value.Sources.For(context.Source) is null ? UnknownSource : context.Source;
        var bucket = _buckets.GetOrAdd(key, Create);
        if (bucket is null)
        {
            return Task.CompletedTask;
        }

        using var lease = bucket.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return Task.CompletedTask;
        }

        logger.LogWarning("Throttled a {Source} webhook: over {Rate} requests per second", context.Source, options.Value.Sources.For(context.Source)?.MaxRequestsPerSecond);
        throw new WebhookRejectedException(429, $"too many requests from {context.Source}; retry after a second") { RetryAfterSeconds = 1 };
    }

    private TokenBucketRateLimiter? Create(string source)
    {
        // Unknown sources are refused by the next stage; they share one small bucket so probing them is throttled too.
        var settings = options.Value.Sources.For(source);
        var perSecond = settings?.MaxRequestsPerSecond ?? 10;
        if (perSecond == 0)
        {
            return null;
        }

        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings?.Burst ?? 10,
            TokensPerPeriod = perSecond,
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
