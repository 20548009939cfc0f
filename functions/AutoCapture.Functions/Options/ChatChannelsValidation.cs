namespace AutoCapture.Functions.Options;

/// <summary>The chat settings' start-up checks: every channel complete for its type, the default one of them.</summary>
public static class ChatChannelsValidation
{
    public static IEnumerable<string> Check(ChatOptions chat)
    {
        if (chat.Slack.WebhookUrl is { Length: > 0 } hook && !IsHttpUrl(hook))
        {
            yield return "AutoCapture:Chat:Slack:WebhookUrl is not an absolute http(s) URL.";
        }

        foreach (var (name, channel) in chat.Channels)
        {
            var where = $"AutoCapture:Chat:Channels:{name}";
            if (name is ChatOptions.ConsoleChannel || (name == ChatOptions.SlackChannel && !string.IsNullOrEmpty(chat.Slack.WebhookUrl)))
            {
                yield return $"{where}: the name '{name}' is taken by a built-in channel.";
            }

            if (!ChatChannelTypes.All.Contains(channel.Type))
            {
                yield return $"{where}:Type '{channel.Type}' is not a channel type ({string.Join(", ", ChatChannelTypes.All)}).";
                continue;
            }

            switch (channel.Type)
            {
                case ChatChannelTypes.SlackWebhook or ChatChannelTypes.Teams or ChatChannelTypes.Webhook when !IsHttpUrl(channel.Url):
                    yield return $"{where}:Url must be an absolute http(s) URL for a {channel.Type} channel.";
                    break;
                case ChatChannelTypes.SlackBot when string.IsNullOrEmpty(channel.Token) || string.IsNullOrEmpty(channel.Channel):
                    yield return $"{where}: a slack-bot channel needs Token (xoxb-…) and Channel (the channel id).";
                    break;
                case ChatChannelTypes.SlackBot when !IsHttpUrl(channel.ApiUrl):
                    yield return $"{where}:ApiUrl must be an absolute http(s) URL.";
                    break;
            }
        }

        if (!chat.AllChannels().ContainsKey(chat.Default))
        {
            yield return $"AutoCapture:Chat:Default '{chat.Default}' is not a configured channel ({string.Join(", ", chat.AllChannels().Keys)}).";
        }

        if (chat.SkipNoticeInterval < TimeSpan.Zero || chat.MaxNotifyAttempts is < 1 or > 50)
        {
            yield return "AutoCapture:Chat:SkipNoticeInterval must not be negative and MaxNotifyAttempts must be 1–50.";
        }
    }

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
