using AutoCapture.Functions.Dispatch;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Hands the captures admission started to the dispatcher, which calls the collectors in the background so the
/// webhook is acknowledged at once.
/// </summary>
public sealed class DispatchStage(DispatchQueue queue) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken) =>
        await queue.EnqueueStartedAsync(context.Captures, cancellationToken);
}
