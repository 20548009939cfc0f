using System.Collections.Concurrent;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// Picks the rule's channel (or the default), sends the message, and records on the manifest that it was sent
/// or why not. A chat failure never changes the capture's own outcome: the manifest keeps the error and
/// housekeeping sends the message again later.
/// </summary>
public sealed class ChatDispatcher(
    ChatChannels channels,
    ManifestStore manifests,
    PublicUrls urls,
    IOptions<AutoCaptureOptions> options,
    TimeProvider clock,
    ILogger<ChatDispatcher> logger)
{
    private static readonly TimeSpan StartPostWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a message may be in preparation (a comparison with the baseline, the start post it follows up) and
    /// in flight before housekeeping takes it for lost (the instance sending it died) and sends it again.
    /// </summary>
    public static readonly TimeSpan SendLease = BaselineComparisons.Timeout + StartPostWait + ChatHttp.MaxExchange + TimeSpan.FromMinutes(1);

    // Start posts in progress on this instance: a capture can end while its start is still being posted, and its
    // final message should then follow that post up rather than appear as a second, unrelated message.
    private readonly ConcurrentDictionary<string, Task> _startPosts = new(StringComparer.Ordinal);

    /// <summary>Tells the capture's channel that it started, if that channel follows up (a Slack bot), and remembers the post.</summary>
    public async Task NotifyStartAsync(CaptureManifest manifest, CancellationToken cancellationToken)
    {
        var notifier = NotifierFor(manifest);
        if (!notifier.FollowsUp || manifest.Quiet || manifest.ChatPost is not null)
        {
            return;
        }

        var posting = PostStartAsync(notifier, manifest, cancellationToken);
        _startPosts[manifest.Id] = posting;
        try
        {
            await posting;
        }
        finally
        {
            _startPosts.TryRemove(manifest.Id, out _);
        }
    }

    private async Task PostStartAsync(IChatNotifier notifier, CaptureManifest manifest, CancellationToken cancellationToken)
    {
        var sending = clock.GetTimestamp();
        try
        {
            var post = await notifier.SendAsync(Message(manifest), cancellationToken);
            WebhookMetrics.ChatSent(ChatMessageKind.Start, ChatSendResult.Sent, clock.GetElapsedTime(sending));
            if (post is not null)
            {
                await manifests.UpdateAsync(manifest.Id, m => m.ChatPost is null && m.NotifiedAt is null ? m with { ChatPost = post } : null, cancellationToken);
            }

            logger.LogInformation("Capture {CaptureId}: start posted to {Channel}", manifest.Id, notifier.Name);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            WebhookMetrics.ChatSent(ChatMessageKind.Start, ChatSendResult.Failed, clock.GetElapsedTime(sending));
            // The final message is what matters; it is posted on its own if the start post is missing.
            logger.LogWarning("Capture {CaptureId}: start message to {Channel} failed: {Reason}", manifest.Id, notifier.Name, e.Message);
        }
    }

    /// <summary>Sends the capture's final message (complete, failed or skipped), unless it is quiet.</summary>
    public async Task NotifyAsync(CaptureManifest manifest, CancellationToken cancellationToken)
    {
        if (manifest.Quiet)
        {
            return;
        }

        if (_startPosts.TryGetValue(manifest.Id, out var posting))
        {
            try
            {
                await posting.WaitAsync(StartPostWait, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Slack is slow to answer the start post: the outcome goes out as a message of its own.
            }

            manifest = await manifests.ReadAsync(manifest.Id, cancellationToken) ?? manifest;
        }

        var notifier = NotifierFor(manifest);
        string? error = null;
        var sending = clock.GetTimestamp();
        try
        {
            await notifier.SendAsync(Message(manifest), cancellationToken);
            WebhookMetrics.ChatSent(ChatMessageKind.Final, ChatSendResult.Sent, clock.GetElapsedTime(sending));
            logger.LogInformation("Capture {CaptureId}: chat message sent to {Channel}", manifest.Id, notifier.Name);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"{notifier.Name}: {e.Message}";
            WebhookMetrics.ChatSent(ChatMessageKind.Final, ChatSendResult.Failed, clock.GetElapsedTime(sending));
            logger.LogWarning("Capture {CaptureId}: chat message to {Channel} failed (attempt {Attempt} of {Max}): {Reason}", manifest.Id, notifier.Name, manifest.NotifyAttempts + 1, options.Value.Chat.MaxNotifyAttempts, e.Message);
        }

        var now = clock.GetUtcNow();
        await manifests.UpdateAsync(manifest.Id, m => m with
        {
            NotifiedAt = error is null ? now : m.NotifiedAt,
            NotifyError = error,
            NotifyAttempts = m.NotifyAttempts + 1,
            NotifyingSince = null,
            UpdatedAt = now,
        }, cancellationToken);
    }

    /// <summary>Whether the capture has ended and chat is owed nothing more: its message went out, it is quiet, or it was given up.</summary>
    public bool IsSettled(CaptureManifest manifest) =>
        manifest.Status.IsTerminal() && (manifest.Quiet || manifest.NotifiedAt is not null || manifest.NotifyAttempts >= options.Value.Chat.MaxNotifyAttempts);

    /// <summary>Whether housekeeping still owes this capture its final message.</summary>
    public bool IsOwed(CaptureManifest manifest, DateTimeOffset now) =>
        manifest.Status.IsTerminal() && !manifest.Quiet && manifest.NotifiedAt is null && manifest.NotifyAttempts < options.Value.Chat.MaxNotifyAttempts
        && (manifest.NotifyingSince is not { } since || now - since > SendLease);

    private ChatMessage Message(CaptureManifest manifest) =>
        ChatMessage.For(manifest, urls) with { FollowUp = manifest.ChatPost, Manifest = manifest };

    private IChatNotifier NotifierFor(CaptureManifest manifest)
    {
        var name = manifest.Chat ?? options.Value.Chat.Default;
        if (channels.Find(name) is { } notifier)
        {
            return notifier;
        }

        logger.LogWarning("Capture {CaptureId}: chat channel {Channel} is not configured (AutoCapture:Chat:Channels:{Channel}); the message goes to the console", manifest.Id, name, name);
        return channels.Console;
    }
}
