namespace AutoCapture.Functions.Chat;

/// <summary>One chat service. Throws if the message could not be delivered; the dispatcher records that on the manifest.</summary>
public interface IChatNotifier
{
    /// <summary>The channel name rules refer to (console, slack).</summary>
    string Name { get; }

    Task SendAsync(ChatMessage message, CancellationToken cancellationToken);
}
