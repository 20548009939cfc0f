using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Links;

/// <summary>
/// Keeps the store ready to sign artifact links (with Entra ID, a user delegation key must be fetched ahead of
/// time). Until it is ready, chat links fall back to this app's own signed download links.
/// </summary>
public sealed class ReadLinkKeys(IArtifactStore store, ILogger<ReadLinkKeys> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IReadLinks { CanCreateReadLinks: true } links)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await links.PrepareReadLinksAsync(stoppingToken);
            }
            catch (StoreException e)
            {
                logger.LogWarning("Artifact links cannot be signed by the store yet ({Reason}); chat links go through this app", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
