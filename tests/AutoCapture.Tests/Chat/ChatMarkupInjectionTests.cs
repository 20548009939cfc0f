using System.Text.Json.Nodes;
using AutoCapture.Functions.Chat;

namespace AutoCapture.Tests.Chat;

/// <summary>Label text is the sender's: in every place each chat service renders markup, it arrives as the characters it is.</summary>
public sealed class ChatMarkupInjectionTests
{
    private const string Link = "[Open capture page](https://evil.example/x)";
    private const string SlackLink = "<https://evil.example/x|Open capture page>";

    private static ChatMessage Message(string text) => new(
        "20261121-0123456789abcdef",
        $"HighCPU {text}",
        $"checkout {text}",
        [("pod", text), (text, "value")],
        [$"finding {text}"],
        [new ChatLink("capture page", "https://autocapture.example.com/api/captures/20261121-0123456789abcdef?token=1.x")]);

    private static IEnumerable<string> Texts(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key is "text" or "title" or "value" && p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? new[] { s } : Texts(p.Value)),
        JsonArray a => a.SelectMany(Texts),
        _ => [],
    };

    [Fact]
    public void A_markdown_link_in_labels_is_no_link_in_a_teams_card()
    {
        var texts = Texts(TeamsWorkflowNotifier.Payload(Message(Link))).Where(t => t.Contains("Open capture page", StringComparison.Ordinal)).ToList();

        Assert.Equal(5, texts.Count);
        Assert.All(texts, t => Assert.DoesNotContain(Link, t, StringComparison.Ordinal));
        Assert.All(texts, t => Assert.Contains(@"\[Open capture page\]\(https://evil.example/x\)", t, StringComparison.Ordinal));
    }

    [Fact]
    public void Emphasis_and_code_in_labels_are_escaped_for_teams()
    {
        Assert.Equal(@"\*\*bold\*\* \_x\_ \`code\` a\\b \<b\> \# h \!\[i\]\(u\)", TeamsWorkflowNotifier.Escape(@"**bold** _x_ `code` a\b <b> # h ![i](u)"));
    }

    [Fact]
    public void A_slack_link_in_labels_is_no_link_in_any_slack_text_including_the_fallback()
    {
        var payload = SlackBlocks.Payload(Message(SlackLink));
        var texts = Texts(payload).Where(t => t.Contains("Open capture page", StringComparison.Ordinal)).ToList();

        Assert.Contains((string)payload["text"]!, texts);
        Assert.All(texts.Where(t => t != (string)payload["blocks"]![0]!["text"]!["text"]!), t => Assert.DoesNotContain(SlackLink, t, StringComparison.Ordinal));
        Assert.Contains("&lt;https://evil.example/x|Open capture page&gt;", (string)payload["text"]!, StringComparison.Ordinal);
    }
}
