using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Chat;

/// <summary>One chat destination. Throws if the message could not be delivered; the dispatcher records that on the manifest.</summary>
public interface IChatNotifier
{
    /// <summary>The channel name rules refer to (console, slack, or a name under AutoCapture:Chat:Channels).</summary>
    string Name { get; }

    /// <summary>Whether it posts when a capture starts and follows that post up when it ends (a Slack bot can; webhooks cannot).</summary>
    bool FollowsUp => false;

    /// <summary>Delivers the message; returns the post when the service identifies it, for a later follow-up.</summary>
    Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken);
}
