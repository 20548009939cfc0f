using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCapture.Functions.Chat;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Chat;

/// <summary>
/// Whatever a capture finds, the message stays within what Slack's Block Kit and Teams accept, and what was cut is
/// counted in an "…and N more" line instead of vanishing.
/// </summary>
public sealed class ChatPayloadLimitTests
{
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Gen<string> Line = Gen.Choose(0, 4000).SelectMany(length => Gen.Elements('a', 'Z', '<', '>', '&', ' ', '`', '×', '\n').ArrayOf(length).Select(c => new string(c)));

    private static Arbitrary<ChatMessage> Messages() =>
        (from findings in Gen.Choose(0, 400).SelectMany(n => Line.ArrayOf(n))
         from fields in Gen.Choose(0, 16)
         from links in Gen.Choose(0, 40)
         from title in Gen.Choose(0, 400)
         select new ChatMessage(
             "20261121-0123456789abcdef",
             new string('T', title),
             "headline <b> & more",
             Enumerable.Range(0, fields).Select(i => ($"field {i}", new string('v', i * 300))).ToList(),
             findings,
             Enumerable.Range(0, links).Select(i => new ChatLink($"artifact-{i}.bin ({i} KiB) with a long description", $"https://autocapture.example.com/a/{i}?token=x")).ToList()))
        .ToArbitrary();

    [Fact]
    public void Slack_payloads_stay_within_block_kit_limits_and_count_what_they_leave_out()
    {
        Prop.ForAll(Messages(), message =>
        {
            var payload = SlackBlocks.Payload(message);
            var blocks = payload["blocks"]!.AsArray().Select(b => b!.AsObject()).ToList();
            var sectionTexts = blocks.Where(b => (string?)b["type"] == "section" && b["text"] is not null).Select(b => (string)b["text"]!["text"]!).ToList();
            var fields = blocks.Where(b => b["fields"] is not null).SelectMany(b => b["fields"]!.AsArray()).Select(f => (string)f!["text"]!).ToList();
            var buttons = blocks.Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray()).ToList();
            var header = (string)blocks[0]["text"]!["text"]!;
            var context = string.Join("\n", blocks.Where(b => (string?)b["type"] == "context").SelectMany(b => b["elements"]!.AsArray()).Select(e => (string)e!["text"]!));
            return (blocks.Count <= SlackBlocks.MaxBlocks).Label($"{blocks.Count} blocks")
                .And(sectionTexts.All(t => t.Length <= SlackBlocks.SectionTextLimit)).Label("section text over 3000")
                .And(fields.Count <= 10 && fields.All(f => f.Length <= 2000)).Label("fields")
                .And(header.Length <= 150).Label("header")
                .And(buttons.Count <= 5 && buttons.All(b => ((string)b!["text"]!["text"]!).Length <= 75)).Label("buttons")
                .And(((string)payload["text"]!).Length <= 3000).Label("text")
                .And(message.Links.Count <= 5 || context.Contains($"…and {message.Links.Count - 5} more artifacts", StringComparison.Ordinal)).Label("links counted")
                .And(FindingsAccountedFor(message, sectionTexts.Skip(1).ToList(), context)).Label("findings counted");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void Teams_cards_stay_under_28_KB_and_count_what_they_leave_out()
    {
        Prop.ForAll(Messages(), message =>
        {
            var payload = TeamsWorkflowNotifier.Payload(message);
            var bytes = Encoding.UTF8.GetByteCount(payload.ToJsonString());
            var card = payload["attachments"]![0]!;
            var text = card.ToJsonString(Readable);
            var actions = card["content"]!["actions"]!.AsArray().Count;
            var cut = actions < message.Links.Count || !text.Contains("Monospace", StringComparison.Ordinal) && message.Findings.Count > 0;
            return (bytes < 28 * 1024).Label($"{bytes} bytes")
                .And((string?)card["contentType"] == TeamsWorkflowNotifier.AdaptiveCardContentType).Label("content type")
                .And(!cut || text.Contains("more", StringComparison.Ordinal)).Label("cut without saying so");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void A_huge_finding_list_is_cut_with_the_number_left_out()
    {
        var findings = Enumerable.Range(0, 2000).Select(i => $"  {i,5} × System.Collections.Generic.Dictionary<System.String, System.Object>.FindValue frame number {i}").ToList();
        var message = new ChatMessage("20261121-0123456789abcdef", "t", "h", [], findings, []);

        var slack = SlackBlocks.Payload(message).ToJsonString(Readable);
        var teams = TeamsWorkflowNotifier.Payload(message).ToJsonString(Readable);

        Assert.Matches("…and [0-9]+ more findings on the capture page", slack);
        Assert.Matches("…and [0-9]+ more findings on the capture page", teams);
        Assert.Contains("frame number 0", slack, StringComparison.Ordinal);
    }

    /// <summary>
    /// With no "…and N more findings" note every finding is shown, in order; with one, N is the number missing and
    /// the findings before the cut are shown in order.
    /// </summary>
    private static bool FindingsAccountedFor(ChatMessage message, List<string> findingSections, string context)
    {
        var note = System.Text.RegularExpressions.Regex.Match(context, "…and ([0-9]+) more findings");
        var left = note.Success ? int.Parse(note.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (left < 0 || left > message.Findings.Count || (note.Success && left == 0))
        {
            return false;
        }

        var shown = string.Join("\n", findingSections.Select(s => s[3..^3]));
        var position = 0;
        foreach (var finding in message.Findings.Take(message.Findings.Count - left))
        {
            var escaped = SlackBlocks.Escape(finding);
            var probe = escaped.Length > 50 ? escaped[..50] : escaped;
            var found = shown.IndexOf(probe, position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + probe.Length;
        }

        return true;
    }
}
