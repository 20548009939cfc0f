using System.Text;
using System.Text.Json.Nodes;
using AutoCapture.Core.Captures;
namespace AutoCapture.Functions.Chat;

/// <summary>
/// Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is received"): a message
/// with one Adaptive Card attachment. Teams refuses cards over 28 KB, so findings and then links are cut to fit,
/// with a line saying how many more the capture page has.
/// </summary>
public sealed class TeamsWorkflowNotifier(string name, string webhookUrl, HttpClient http) : IChatNotifier
{
    public const int MaxPayloadBytes = 28 * 1024;
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

    // Headroom under Teams' limit for the envelope the workflow wraps around the card.
    private const int Budget = MaxPayloadBytes - 1024;
    public string Name => name;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(Payload(message).ToJsonString());
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        using var response = await http.PostAsync(webhookUrl, content, cancellationToken);
        await ChatHttp.EnsureSuccessAsync(response, "Teams", cancellationToken);
        return null;
    }

    public static JsonObject Payload(ChatMessage message)
    {
        var findings = message.Findings.Count;
        var links = message.Links.Count;
        while (true)
        {
            var payload = Build(message, findings, links);
            if (Encoding.UTF8.GetByteCount(payload.ToJsonString()) <= Budget || (findings == 0 && links <= 1))
            {
                return payload;
            }

            if (findings > 0)
            {
                findings /= 2;
            }
            else
            {
                links = Math.Max(1, links / 2);
            }
        }
    }

    private static JsonObject Build(ChatMessage message, int findings, int links)
    {
        var body = new JsonArray();
        if (message.Lead is { } lead)
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Limit(Escape(lead), 1000), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true });
        }

        body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Limit(Escape(message.Title), 500), ["weight"] = "Bolder", ["wrap"] = true });
        body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Limit(Escape(message.Headline), 2000), ["wrap"] = true });
        body.Add(new JsonObject
        {
            ["type"] = "FactSet",
            ["facts"] = new JsonArray(message.Fields.Select(f => (JsonNode)new JsonObject { ["title"] = Limit(Escape(f.Name), 100), ["value"] = Limit(Escape(f.Value), 1000) }).ToArray()),
        });
        if (findings > 0)
        {
            body.Add(new JsonObject
            {
                ["type"] = "TextBlock",
                ["text"] = string.Join("\n\n", message.Findings.Take(findings).Select(f => Limit(Escape(f), 1000))),
                ["fontType"] = "Monospace",
                ["wrap"] = true,
                ["separator"] = true,
            });
        }

        var more = new List<string>();
        if (findings < message.Findings.Count)
        {
            more.Add($"…and {message.Findings.Count - findings} more findings");
        }

        if (links < message.Links.Count)
        {
            more.Add($"…and {message.Links.Count - links} more links");
        }

        if (more.Count > 0)
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = string.Join(", ", more) + " on the capture page", ["isSubtle"] = true, ["wrap"] = true });
        }

        var actions = new JsonArray(message.Links.Take(links).Select(l => (JsonNode)new JsonObject
        {
            ["type"] = "Action.OpenUrl",
            ["title"] = Limit(l.Text, 100),
            ["url"] = l.Url,
        }).ToArray());
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject
                {
                    ["contentType"] = AdaptiveCardContentType,
                    ["contentUrl"] = null,
                    ["content"] = new JsonObject
                    {
                        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                        ["type"] = "AdaptiveCard",
                        ["version"] = "1.4",
                        ["body"] = body,
                        ["actions"] = actions,
                    },
                },
            },
        };
    }

    private static string Limit(string text, int limit) => ChatHttp.Shorten(text, limit);

    /// <summary>
    /// TextBlocks and facts render Markdown, and label text is the sender's: a label holding "[Open capture page](https://…)"
    /// must arrive as those characters, not as a link. Backslash escapes are the Markdown that Teams honours.
    /// </summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '[' or ']' or '(' or ')' or '`' or '~' or '<' or '>' or '#' or '|' or '!')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
