using AutoCapture.Functions.Dispatch;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Hands captures whose pending manifest is written to the dispatcher, which calls the collectors in the
/// background so the webhook is acknowledged at once.
/// </summary>
public sealed class DispatchStage(DispatchQueue queue) : IWebhookStage
{
    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var capture in context.Proceeding.ToList())
        {
            await queue.EnqueueAsync(capture.CaptureId, cancellationToken);
            capture.MarkStarted();
        }
    }
}
