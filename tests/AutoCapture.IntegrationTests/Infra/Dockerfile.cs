using System.Text.Json;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>A Dockerfile read as its instructions (continuation lines joined, comments dropped), for the infra tests.</summary>
internal sealed record Dockerfile(string Path, IReadOnlyList<Dockerfile.Instruction> Instructions)
{
    public sealed record Instruction(string Keyword, string Arguments);

    public static IEnumerable<string> All() => Directory.GetFiles(InfraFiles.Docker, "*.Dockerfile").Order(StringComparer.Ordinal);

    public static Dockerfile Load(string path)
    {
        var instructions = new List<Instruction>();
        var pending = string.Empty;
        foreach (var line in File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            pending += line.EndsWith('\\') ? line[..^1] : line;
            if (!line.EndsWith('\\'))
            {
                var parts = pending.Split(' ', 2, StringSplitOptions.TrimEntries);
                instructions.Add(new Instruction(parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1] : string.Empty));
                pending = string.Empty;
            }
        }

        return new Dockerfile(path, instructions);
    }

    public IEnumerable<string> Arguments(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>The instructions of the last stage: what the image runs.</summary>
    public IReadOnlyList<Instruction> FinalStage => Instructions.Skip(Instructions.ToList().FindLastIndex(i => i.Keyword == "FROM")).ToList();

    /// <summary>The variables ENV sets (<c>ENV a=1 \ b=2</c>), by name.</summary>
    public Dictionary<string, string> Environment() =>
        Arguments("ENV").SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    /// <summary>ENTRYPOINT in its exec form.</summary>
    public string[] Entrypoint() => JsonSerializer.Deserialize<string[]>(Assert.Single(Arguments("ENTRYPOINT")))!;
}
