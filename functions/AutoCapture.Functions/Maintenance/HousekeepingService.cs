using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Maintenance;

/// <summary>Runs housekeeping on an interval when the app runs standalone; under Azure Functions the timer function does.</summary>
public sealed class HousekeepingService(Housekeeping housekeeping, IOptions<AutoCaptureOptions> options, ILogger<HousekeepingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Housekeeping.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await housekeeping.RunScheduledAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Housekeeping failed; it runs again in {Interval}", options.Value.Housekeeping.Interval);
            }
        }
    }
}
