using AutoCapture.Core.Captures;
using AutoCapture.Functions.Chat;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Chat;

/// <summary>The Slack bot against the Web API stand-in: throttling waited out, a vanished start post, Slack's own refusals.</summary>
public sealed class SlackBotNotifierTests : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddChatHttp().Services.BuildServiceProvider();
    private HttpClient _http = null!;
    private FakeSlack _slack = null!;

    public async Task InitializeAsync()
    {
        _http = _services.GetRequiredService<IHttpClientFactory>().CreateClient(ChatChannels.HttpClientName);
        _slack = await FakeSlack.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _services.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static ChatMessage Message(string headline) =>
        new("20261121-0123456789abcdef", "HighCPU: web-3", headline, [("Target", "name=checkout on web-3")], ["CPU: 100 samples"], [new ChatLink("Capture page", "https://autocapture.example.com/api/captures/x?token=t")]);

    [Fact]
    public async Task A_throttled_post_is_retried_after_retry_after_and_its_ts_comes_back()
    {
        var bot = new SlackBotNotifier("oncall", _slack.BotToken, FakeSlack.ChannelId, _slack.ApiUrl, _http);
        _slack.ThrottleNext(1);

        var post = await bot.SendAsync(Message("Capturing cpu 30 s"), CancellationToken.None);

        Assert.Equal(2, _slack.Requests);
        Assert.Equal(FakeSlack.ChannelId, post!.Channel);
        Assert.True(_slack.Messages.ContainsKey(post.MessageId));
    }

    [Fact]
    public async Task When_the_start_post_is_gone_the_outcome_is_posted_afresh()
    {
        var bot = new SlackBotNotifier("oncall", _slack.BotToken, FakeSlack.ChannelId, _slack.ApiUrl, _http);

        var post = await bot.SendAsync(Message("Captured cpu 30 s") with { FollowUp = new ChatPost(FakeSlack.ChannelId, "1700000000.000001") }, CancellationToken.None);

        Assert.Equal(["chat.postMessage"], _slack.ApiCalls.Select(c => c.Method));
        Assert.Null(_slack.ApiCalls.Single().Body["thread_ts"]);
        Assert.NotEqual("1700000000.000001", post!.MessageId);
        Assert.Contains("chat.update: message_not_found", _slack.Refused);
    }

    [Fact]
    public async Task Slacks_refusal_fails_the_send_with_its_error_code_and_never_the_token()
    {
        var token = "xoxb-" + TestEnvironment.Secret();
        var bot = new SlackBotNotifier("oncall", token, FakeSlack.ChannelId, _slack.ApiUrl, _http);
        var wrongChannel = new SlackBotNotifier("oncall", _slack.BotToken, "C0NOWHERE", _slack.ApiUrl, _http);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => bot.SendAsync(Message("x"), CancellationToken.None));
        var notFound = await Assert.ThrowsAsync<HttpRequestException>(() => wrongChannel.SendAsync(Message("x"), CancellationToken.None));

        Assert.Equal("Slack chat.postMessage refused the message: invalid_auth", refused.Message);
        Assert.DoesNotContain(token, refused.ToString(), StringComparison.Ordinal);
        Assert.Equal("Slack chat.postMessage refused the message: channel_not_found", notFound.Message);
    }
}
