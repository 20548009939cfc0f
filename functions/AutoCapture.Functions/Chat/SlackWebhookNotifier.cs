using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// A Slack incoming webhook with a Block Kit message. Slack's limits are kept (section text 3,000 characters,
/// 10 fields of 2,000, header 150, 50 blocks) by shortening rather than being refused. 429 honours Retry-After.
/// </summary>
public sealed class SlackWebhookNotifier : IChatNotifier
{
    private const int SectionTextLimit = 3000;
    private const int FieldLimit = 2000;
    private const int MaxFields = 10;
    private const int HeaderLimit = 150;
    private const int MaxButtons = 5;
    private readonly HttpClient _http;
    private readonly IOptions<AutoCaptureOptions> _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _resilience;

    public SlackWebhookNotifier(HttpClient http, IOptions<AutoCaptureOptions> options)
    {
        _http = http;
        _options = options;
        _resilience = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 4,
                Delay = TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(15))
            .Build();
    }

    public string Name => ChatOptions.SlackChannel;

    public async Task SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var webhook = _options.Value.Chat.Slack.WebhookUrl
            ?? throw new InvalidOperationException("Slack is not configured (AutoCapture:Chat:Slack:WebhookUrl).");
        var payload = BuildPayload(message);
        using var response = await _resilience.ExecuteAsync(
            async token => await _http.PostAsJsonAsync(webhook, payload, token),
            cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // The webhook URL is a secret: report the status and Slack's answer, never the URL.
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"Slack answered {(int)response.StatusCode}: {Shorten(answer, 200)}");
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date - DateTimeOffset.UtcNow) ?? TimeSpan.Zero;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > TimeSpan.FromMinutes(2) ? TimeSpan.FromMinutes(2) : delay;
    }

    internal static JsonObject BuildPayload(ChatMessage message)
    {
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = PlainText(Shorten(message.Title, HeaderLimit)),
            },
            Section(Escape(message.Headline)),
        };

        var fields = new JsonArray();
        foreach (var (name, value) in message.Fields.Take(MaxFields))
        {
            fields.Add(Markdown(Shorten($"*{Escape(name)}*\n{Escape(value)}", FieldLimit)));
        }

        blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        if (message.Findings.Count > 0)
        {
            var shown = message.Findings.Take(ChatMessage.MaxFindings * 3).ToList();
            var more = message.Findings.Count - shown.Count;
            var text = "```" + string.Join("\n", shown.Select(Escape)) + "```" + (more > 0 ? $"\n…and {more} more" : string.Empty);
            blocks.Add(Section(Shorten(text, SectionTextLimit)));
        }

        var buttons = new JsonArray();
        foreach (var link in message.Links.Take(MaxButtons))
        {
            buttons.Add(new JsonObject
            {
                ["type"] = "button",
                ["text"] = PlainText(Shorten(link.Text, 75)),
                ["url"] = link.Url,
            });
        }

        blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = buttons });
        if (message.Links.Count > MaxButtons)
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "context",
                ["elements"] = new JsonArray { Markdown($"…and {(message.Links.Count - MaxButtons).ToString(CultureInfo.InvariantCulture)} more artifacts on the capture page") },
            });
        }

        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray { Markdown($"AutoCapture · capture `{message.CaptureId}`") },
        });

        return new JsonObject
        {
            // Slack shows `text` in notifications and where blocks cannot render.
            ["text"] = Shorten($"{message.Title}: {message.Headline}", SectionTextLimit),
            ["blocks"] = blocks,
        };
    }

    private static JsonObject Section(string markdown) => new() { ["type"] = "section", ["text"] = Markdown(markdown) };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    /// <summary>Slack's mrkdwn needs &amp;, &lt; and &gt; escaped; generic type names are full of angle brackets.</summary>
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Shorten(string text, int limit) => text.Length <= limit ? text : text[..(limit - 1)] + "…";
}
