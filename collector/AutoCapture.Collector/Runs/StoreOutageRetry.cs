using AutoCapture.Collector.Options;
using AutoCapture.Core.Storage;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// Carries a capture's writes through a store outage. The store client already retries each request for a few
/// seconds; when it still gives up (a <see cref="StoreException"/>), the write is tried again with backoff until
/// it succeeds or <see cref="CollectorOptions.StoreRetryWindow"/> has passed since the first attempt. The artifacts
/// wait on the local disk meanwhile, so an outage of seconds to minutes costs time, not the capture.
/// </summary>
public sealed class StoreOutageRetry
{
    private static readonly ResiliencePropertyKey<long> FirstAttempt = new("AutoCapture.StoreOutageRetry.FirstAttempt");
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _clock;

    public StoreOutageRetry(IOptions<CollectorOptions> options, TimeProvider clock, ILogger<StoreOutageRetry> logger)
    {
        _clock = clock;
        var window = options.Value.StoreRetryWindow;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(10),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is StoreException
                    && clock.GetElapsedTime(args.Context.Properties.GetValue(FirstAttempt, 0)) < window),
                OnRetry = args =>
                {
                    logger.LogWarning("The store cannot be reached ({Reason}); writing again in {Delay} (giving up {Window} after the first attempt)", args.Outcome.Exception!.Message, args.RetryDelay, window);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Runs <paramref name="write"/>, again after a store failure while within the window; each run must write the whole object afresh.</summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(FirstAttempt, _clock.GetTimestamp());
        try
        {
            return await _pipeline.ExecuteAsync(static async (context, write) => await write(context.CancellationToken), context, write);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
