using System.Net.Http.Json;
using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Chat;

/// <summary>A Slack incoming webhook: one Block Kit message when the capture ends. 429 honours Retry-After.</summary>
public sealed class SlackWebhookNotifier(string name, string webhookUrl, HttpClient http) : IChatNotifier
{
    public string Name => name;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var payload = SlackBlocks.Payload(message);
        using var response = await http.PostAsJsonAsync(webhookUrl, payload, cancellationToken);
        await ChatHttp.EnsureSuccessAsync(response, "Slack", cancellationToken);
        return null;
    }
}
