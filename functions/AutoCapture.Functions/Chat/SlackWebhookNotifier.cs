using System.Net.Http.Json;
using AutoCapture.Core.Captures;
using Polly;

namespace AutoCapture.Functions.Chat;

/// <summary>A Slack incoming webhook: one Block Kit message when the capture ends. 429 honours Retry-After.</summary>
public sealed class SlackWebhookNotifier(string name, string webhookUrl, HttpClient http) : IChatNotifier
{
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience = ChatHttp.Pipeline();

    public string Name => name;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var payload = SlackBlocks.Payload(message);
        using var response = await _resilience.ExecuteAsync(
            async token => await http.PostAsJsonAsync(webhookUrl, payload, token),
            cancellationToken);
        await ChatHttp.EnsureSuccessAsync(response, "Slack", cancellationToken);
        return null;
    }
}
