using System.Text.RegularExpressions;

namespace AutoCapture.IntegrationTests.Docs;

/// <summary>How the line before a shell block in the README says the docs tests treat it.</summary>
public enum BlockMarking
{
    /// <summary>No marker: the guard test fails, so a new block cannot dodge being run.</summary>
    None,

    /// <summary><c>&lt;!-- runnable --&gt;</c> or <c>&lt;!-- runnable: expect "TEXT" --&gt;</c>: must exit 0 and print TEXT.</summary>
    Runnable,

    /// <summary><c>&lt;!-- runnable: background until "TEXT" --&gt;</c>: a server, kept running once it printed TEXT.</summary>
    Background,

    /// <summary><c>&lt;!-- not runnable: REASON --&gt;</c>.</summary>
    NotRunnable,
}

/// <param name="Line">1-based line of the opening fence.</param>
/// <param name="Text">What a runnable block must print, the line a background block is ready at, or why a block is not run.</param>
public sealed record ShellBlock(int Line, string Code, BlockMarking Marking, string Text);

/// <summary>The fenced shell blocks of a markdown file and the marker comment right above each.</summary>
public static partial class MarkdownBlocks
{
    private static readonly HashSet<string> ShellLanguages = ["sh", "bash", "shell", "console"];

    public static IReadOnlyList<ShellBlock> ShellBlocks(string markdown)
    {
        var lines = markdown.Split('\n');
        var blocks = new List<ShellBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var indent = lines[i].Length - fence.Length;
            var language = fence[3..].Trim();
            var start = i;
            var code = new List<string>();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                code.Add(lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart());
            }

            if (ShellLanguages.Contains(language))
            {
                var (marking, text) = MarkerAbove(lines, start);
                blocks.Add(new ShellBlock(start + 1, string.Join('\n', code), marking, text));
            }
        }

        return blocks;
    }

    private static (BlockMarking, string) MarkerAbove(string[] lines, int fence)
    {
        var above = fence - 1;
        while (above >= 0 && lines[above].Trim().Length == 0)
        {
            above--;
        }

        var match = above >= 0 ? Marker().Match(lines[above].Trim()) : Match.Empty;
        if (!match.Success)
        {
            return (BlockMarking.None, "");
        }

        if (match.Groups["reason"].Success)
        {
            return (BlockMarking.NotRunnable, match.Groups["reason"].Value);
        }

        var text = Regex.Unescape(match.Groups["text"].Value);
        return match.Groups["mode"].Value == "background until" ? (BlockMarking.Background, text) : (BlockMarking.Runnable, text);
    }

    [GeneratedRegex("""^<!--\s*(?:not runnable:\s*(?<reason>\S.*?)|runnable(?::\s*(?<mode>expect|background until)\s+"(?<text>(?:[^"\\]|\\.)*)")?)\s*-->$""")]
    private static partial Regex Marker();
}
