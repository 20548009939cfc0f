using System.Text;
using System.Text.Json.Nodes;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// A chat message as Slack Block Kit, within Slack's limits: 50 blocks, section text 3,000 characters, 10 fields
/// of 2,000, header 150, button text 75. What does not fit is summarised ("…and N more") rather than refused.
/// </summary>
public static class SlackBlocks
{
    public const int MaxBlocks = 50;
    public const int SectionTextLimit = 3000;
    private const int FieldLimit = 2000;
    private const int MaxFields = 10;
    private const int HeaderLimit = 150;
    private const int MaxButtons = 5;

    // lead, header, headline, fields, actions, overflow note, footer: what is left is for findings.
    private const int MaxFindingBlocks = MaxBlocks - 7;

    /// <summary>The action id of the "Capture again" button; its value is the capture id and nothing else.</summary>
    public const string CaptureAgainAction = "autocapture_capture_again";

    /// <param name="captureAgain">
    /// Adds a "Capture again" button (Slack app with interactivity only: an incoming webhook cannot receive clicks) to
    /// messages of a capture that took something, which a click can ask for again.
    /// </param>
    public static JsonObject Payload(ChatMessage message, bool captureAgain = false)
    {
        var blocks = new JsonArray();
        if (message.Lead is { } lead)
        {
            blocks.Add(Section(Shorten($"*{Escape(lead)}*", SectionTextLimit)));
        }

        blocks.Add(new JsonObject { ["type"] = "header", ["text"] = PlainText(Shorten(message.Title, HeaderLimit)) });
        blocks.Add(Section(Shorten(Escape(message.Headline), SectionTextLimit)));

        if (message.Fields.Count > 0)
        {
            var fields = new JsonArray();
            foreach (var (name, value) in message.Fields.Take(MaxFields))
            {
                fields.Add(Markdown(Shorten($"*{Escape(name)}*\n{Escape(value)}", FieldLimit)));
            }

            blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        }

        var notes = new List<string>();
        if (message.Fields.Count > MaxFields)
        {
            notes.Add($"…and {message.Fields.Count - MaxFields} more fields on the capture page");
        }

        var (findingBlocks, findingsLeft) = FindingSections(message.Findings);
        foreach (var block in findingBlocks)
        {
            blocks.Add(block);
        }

        if (findingsLeft > 0)
        {
            notes.Add($"…and {findingsLeft} more findings on the capture page");
        }

        var again = captureAgain && message.Manifest is { Captures.Count: > 0, Baseline: null };
        if (message.Links.Count > 0 || again)
        {
            var buttons = new JsonArray();
            foreach (var link in message.Links.Take(MaxButtons))
            {
                buttons.Add(new JsonObject { ["type"] = "button", ["text"] = PlainText(Shorten(link.Text, 75)), ["url"] = link.Url });
            }

            if (again)
            {
                buttons.Add(new JsonObject { ["type"] = "button", ["text"] = PlainText("Capture again"), ["action_id"] = CaptureAgainAction, ["value"] = message.CaptureId });
            }

            blocks.Add(new JsonObject { ["type"] = "actions", ["elements"] = buttons });
            if (message.Links.Count > MaxButtons)
            {
                notes.Add($"…and {message.Links.Count - MaxButtons} more artifacts on the capture page");
            }
        }

        if (notes.Count > 0)
        {
            blocks.Add(Context(Escape(string.Join(" · ", notes))));
        }

        blocks.Add(Context($"AutoCapture · capture `{message.CaptureId}`"));
        return new JsonObject
        {
            // Slack shows `text` in notifications and where blocks cannot render: the top finding is what to read there.
            ["text"] = Shorten(Escape(message.Lead is { } top ? $"{top} · {message.Title}: {message.Headline}" : $"{message.Title}: {message.Headline}"), SectionTextLimit),
            ["blocks"] = blocks,
        };
    }

    /// <summary>Findings as preformatted sections, each under the section limit; returns how many lines did not fit.</summary>
    private static (List<JsonObject> Blocks, int Left) FindingSections(IReadOnlyList<string> findings)
    {
        var blocks = new List<JsonObject>();
        var current = new StringBuilder();
        var index = 0;
        // Room for the code fences and, in the last section, nothing else: the overflow note is its own block.
        const int budget = SectionTextLimit - 6;
        for (; index < findings.Count; index++)
        {
            var line = Shorten(Escape(findings[index]), budget);
            if (current.Length > 0 && current.Length + 1 + line.Length > budget)
            {
                if (blocks.Count + 1 == MaxFindingBlocks)
                {
                    break;
                }

                blocks.Add(Section("```" + current + "```"));
                current.Clear();
            }

            current.Append(current.Length > 0 ? "\n" : string.Empty).Append(line);
        }

        if (current.Length > 0)
        {
            blocks.Add(Section("```" + current + "```"));
        }

        return (blocks, findings.Count - index);
    }

    private static JsonObject Section(string markdown) => new() { ["type"] = "section", ["text"] = Markdown(markdown) };

    private static JsonObject Context(string markdown) => new() { ["type"] = "context", ["elements"] = new JsonArray { Markdown(markdown) } };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    /// <summary>Slack's mrkdwn needs &amp;, &lt; and &gt; escaped; generic type names are full of angle brackets.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Shorten(string text, int limit) => ChatHttp.Shorten(text, limit);
}
