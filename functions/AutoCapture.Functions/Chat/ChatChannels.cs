using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Chat;

/// <summary>The configured channels by name, each a notifier of its type (see <see cref="ChatChannelTypes"/>).</summary>
public sealed class ChatChannels
{
    public const string HttpClientName = "chat";
    private readonly Dictionary<string, IChatNotifier> _notifiers;

    public ChatChannels(IOptions<AutoCaptureOptions> options, IHttpClientFactory httpClients, TextWriter console, TimeProvider clock)
    {
        _notifiers = options.Value.Chat.AllChannels().ToDictionary(
            c => c.Key,
            c => Create(c.Key, c.Value, httpClients, console, clock, captureAgain: !string.IsNullOrEmpty(options.Value.Chat.Slack.SigningSecret)),
            StringComparer.Ordinal);
    }

    public IChatNotifier? Find(string name) => _notifiers.GetValueOrDefault(name);

    public IChatNotifier Console => _notifiers[ChatOptions.ConsoleChannel];

    private static IChatNotifier Create(string name, ChatChannelOptions channel, IHttpClientFactory httpClients, TextWriter console, TimeProvider clock, bool captureAgain) => channel.Type switch
    {
        ChatChannelTypes.SlackWebhook => new SlackWebhookNotifier(name, channel.Url!, httpClients.CreateClient(HttpClientName)),
        ChatChannelTypes.SlackBot => new SlackBotNotifier(name, channel.Token!, channel.Channel!, channel.ApiUrl, httpClients.CreateClient(HttpClientName), captureAgain),
        ChatChannelTypes.Teams => new TeamsWorkflowNotifier(name, channel.Url!, httpClients.CreateClient(HttpClientName)),
        ChatChannelTypes.Webhook => new WebhookNotifier(name, channel.Url!, channel.Secret, httpClients.CreateClient(HttpClientName), clock),
        _ => new ConsoleChatNotifier(console, name),
    };
}
