using AutoCapture.Core.Captures;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// Picks the rule's channel (or the default), sends the message, and records on the manifest that it was sent
/// or why not. A chat failure never changes the capture's own outcome.
/// </summary>
public sealed class ChatDispatcher(
    IEnumerable<IChatNotifier> notifiers,
    ManifestStore manifests,
    PublicUrls urls,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<ChatDispatcher> logger)
{
    private readonly Dictionary<string, IChatNotifier> _notifiers = notifiers.ToDictionary(n => n.Name, StringComparer.Ordinal);

    public async Task NotifyAsync(CaptureManifest manifest, CancellationToken cancellationToken)
    {
        var channel = manifest.Chat ?? options.Value.Chat.Default;
        if (!_notifiers.TryGetValue(channel, out var notifier))
        {
            logger.LogWarning("Capture {CaptureId}: chat channel {Channel} is not configured; using console", manifest.Id, channel);
            notifier = _notifiers[ChatOptions.ConsoleChannel];
        }

        string? error = null;
        try
        {
            await notifier.SendAsync(ChatMessage.For(manifest, urls), cancellationToken);
            logger.LogInformation("Capture {CaptureId}: chat message sent to {Channel}", manifest.Id, notifier.Name);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"{notifier.Name}: {e.Message}";
            logger.LogWarning("Capture {CaptureId}: chat message to {Channel} failed: {Reason}", manifest.Id, notifier.Name, e.Message);
        }

        var now = clock.GetUtcNow();
        await manifests.UpdateAsync(manifest.Id, m => m with
        {
            NotifiedAt = error is null ? now : m.NotifiedAt,
            NotifyError = error,
            UpdatedAt = now,
        }, cancellationToken);
    }
}
