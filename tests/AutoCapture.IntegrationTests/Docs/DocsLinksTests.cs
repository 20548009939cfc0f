using System.Text;
using System.Text.RegularExpressions;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Docs;

/// <summary>Every relative link in README.md and docs/*.md leads to a file of this repository, and to a heading that exists.</summary>
public sealed partial class DocsLinksTests
{
    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string> { "README.md" };
        foreach (var page in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            pages.Add(Path.GetRelativePath(RepositoryPaths.Root, page));
        }

        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_resolves_to_a_file_and_heading_in_the_repository(string page)
    {
        var path = Path.Combine(RepositoryPaths.Root, page);
        var broken = new List<string>();
        foreach (var (line, target) in Links(File.ReadAllText(path)))
        {
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!resolved.StartsWith(RepositoryPaths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                broken.Add($"{page}:{line}: {target} leaves the repository");
            }
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{page}:{line}: {target} does not exist");
            }
            else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !HeadingAnchors(File.ReadAllText(resolved)).Contains(anchor))
            {
                broken.Add($"{page}:{line}: {target} names no heading of {Path.GetFileName(resolved)}");
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void Anchors_are_made_as_github_makes_them_and_links_inside_code_are_not_links()
    {
        const string markdown = """
            # Install the `autocapture` command
            ## Scoping the collector's store credential (issue 12 item 6)
            See [the store](store.md#azure-blob-storage) and `[not](a-link.md)`.
            ```sh
            echo "[not](a-link-either.md)"
            ```
            """;

        Assert.Equal(["install-the-autocapture-command", "scoping-the-collectors-store-credential-issue-12-item-6"], HeadingAnchors(markdown));
        Assert.Equal([(3, "store.md#azure-blob-storage")], Links(markdown));
    }

    /// <summary>Inline links outside code blocks and code spans, with their line.</summary>
    private static List<(int Line, string Target)> Links(string markdown)
    {
        var links = new List<(int, string)>();
        var inCode = false;
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }

            if (!inCode)
            {
                links.AddRange(Link().Matches(CodeSpan().Replace(lines[i], "")).Select(m => (i + 1, m.Groups["target"].Value)));
            }
        }

        return links;
    }

    /// <summary>GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static List<string> HeadingAnchors(string markdown)
    {
        var anchors = new List<string>();
        var inCode = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }
            else if (!inCode && Heading().Match(line) is { Success: true } heading)
            {
                var slug = new StringBuilder();
                foreach (var c in heading.Groups["text"].Value.Trim().ToLowerInvariant())
                {
                    if (char.IsLetterOrDigit(c) || c is '-' or '_')
                    {
                        slug.Append(c);
                    }
                    else if (c == ' ')
                    {
                        slug.Append('-');
                    }
                }

                anchors.Add(slug.ToString());
            }
        }

        return anchors;
    }

    [GeneratedRegex(@"(?<!!)\[[^\]]*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+)$")]
    private static partial Regex Heading();
}
