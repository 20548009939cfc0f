using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AutoCapture.Core.Captures;
namespace AutoCapture.Functions.Chat;

/// <summary>
/// A Slack app's bot token (chat:write) posting with the Web API: <c>chat.postMessage</c> when a capture starts,
/// then <c>chat.update</c> of that message with the outcome and a short reply in its thread (an update alone
/// notifies nobody). Without a start post it posts the outcome as a new message. Slack answers HTTP 200 with
/// <c>ok: false</c> for its own errors; those fail the send with Slack's error code. With <paramref name="captureAgain"/>
/// (a signing secret is configured, so clicks can be verified) messages carry a "Capture again" button.
/// </summary>
public sealed class SlackBotNotifier(string name, string token, string channel, string apiUrl, HttpClient http, bool captureAgain = false) : IChatNotifier
{
    private readonly string _api = apiUrl.TrimEnd('/');

    public string Name => name;

    public bool FollowsUp => true;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var payload = SlackBlocks.Payload(message, captureAgain);
        if (message.FollowUp is { } earlier)
        {
            payload["channel"] = earlier.Channel;
            payload["ts"] = earlier.MessageId;
            var updated = await CallAsync("chat.update", payload, allowError: "message_not_found", cancellationToken);
            if (updated is not null)
            {
                await CallAsync("chat.postMessage", new JsonObject
                {
                    ["channel"] = earlier.Channel,
                    ["thread_ts"] = earlier.MessageId,
                    ["text"] = ChatHttp.Shorten($"{message.Title}: {message.Headline}", SlackBlocks.SectionTextLimit),
                }, allowError: null, cancellationToken);
                return earlier;
            }

            // The start post was deleted: post the outcome afresh.
            payload.Remove("ts");
        }

        payload["channel"] = channel;
        var posted = await CallAsync("chat.postMessage", payload, allowError: null, cancellationToken);
        return new ChatPost((string?)posted!["channel"] ?? channel, (string?)posted["ts"] ?? throw new HttpRequestException("Slack accepted the message but sent no ts"));
    }

    /// <summary>Replies in the thread of an earlier post (the post a "Capture again" click came from).</summary>
    public async Task ReplyAsync(ChatPost thread, string text, CancellationToken cancellationToken) =>
        await CallAsync("chat.postMessage", new JsonObject
        {
            ["channel"] = thread.Channel,
            ["thread_ts"] = thread.MessageId,
            ["text"] = ChatHttp.Shorten(SlackBlocks.Escape(text), SlackBlocks.SectionTextLimit),
        }, allowError: null, cancellationToken);

    /// <summary>Calls a Web API method; returns its answer, or null when Slack answered <paramref name="allowError"/>.</summary>
    private async Task<JsonObject?> CallAsync(string method, JsonObject body, string? allowError, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_api}/{method}") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        await ChatHttp.EnsureSuccessAsync(response, $"Slack {method}", cancellationToken);
        var answer = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
            ?? throw new HttpRequestException($"Slack {method} answered with no JSON");
        if ((bool?)answer["ok"] == true)
        {
            return answer;
        }

        var error = (string?)answer["error"] ?? "unknown error";
        return error == allowError ? null : throw new HttpRequestException($"Slack {method} refused the message: {error}");
    }
}
