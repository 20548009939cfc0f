using System.Globalization;

namespace AutoCapture.Profiles.Goroutines;

/// <param name="Function">The function, arguments dropped: <c>main.(*server).handle</c>.</param>
/// <param name="Location"><c>file:line</c>, without the pc offset; null when the dump gave none.</param>
public sealed record GoFrame(string Function, string? Location)
{
    /// <summary>The source file of <see cref="Location"/>, its line number dropped.</summary>
    public string? File => Location?.LastIndexOf(':') is > 0 and var colon ? Location[..colon] : Location;
}

/// <summary>One goroutine of a <c>debug=2</c> dump.</summary>
/// <param name="State">The wait reason or status, e.g. <c>chan receive</c>, <c>running</c>, <c>IO wait</c>.</param>
/// <param name="Frames">Innermost first.</param>
/// <param name="CreatedBy">The function whose <c>go</c> statement started it.</param>
/// <param name="CreatorId">The creating goroutine (Go 1.21 and later print it).</param>
public sealed record Goroutine(
    long Id,
    string State,
    int? WaitMinutes,
    bool LockedToThread,
    IReadOnlyList<GoFrame> Frames,
    bool FramesElided,
    GoFrame? CreatedBy,
    long? CreatorId);

/// <summary>
/// Reads the text Go writes for <c>/debug/pprof/goroutine?debug=2</c>, <c>runtime.Stack(all)</c>, the gops stack
/// command and a panic with GOTRACEBACK=all:
/// <code>
/// goroutine 42 [chan receive, 12 minutes]:
/// main.worker(0xc000012345)
///         /src/main.go:31 +0x45
/// ...additional frames elided...
/// created by main.start in goroutine 1
///         /src/main.go:20 +0x8e
/// </code>
/// Blocks are separated by blank lines. Lines that belong to no goroutine (a panic message) are skipped; input with
/// no goroutine at all is refused.
/// </summary>
public static class GoroutineDump
{
    private const string HeaderPrefix = "goroutine ";
    private const string CreatedByPrefix = "created by ";
    private const string ElidedMarker = "...additional frames elided...";

    public static IReadOnlyList<Goroutine> Parse(TextReader reader)
    {
        var goroutines = new List<Goroutine>();
        Builder? current = null;
        string? pendingFunction = null;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            if (TryParseHeader(line, out var header))
            {
                Flush();
                current = header;
                continue;
            }

            if (current is null)
            {
                continue;
            }

            if (line[0] == '\t' || line.StartsWith("    ", StringComparison.Ordinal))
            {
                // The file:line of the function named on the line before.
                if (pendingFunction is not null)
                {
                    current.Add(new GoFrame(pendingFunction, Location(line)));
                    pendingFunction = null;
                }

                continue;
            }

            if (pendingFunction is not null)
            {
                current.Add(new GoFrame(pendingFunction, null));
                pendingFunction = null;
            }

            if (line.StartsWith(ElidedMarker, StringComparison.Ordinal))
            {
                current.Elided = true;
            }
            else if (line.StartsWith(CreatedByPrefix, StringComparison.Ordinal))
            {
                current.ReadingCreator = true;
                var creator = line[CreatedByPrefix.Length..];
                var inGoroutine = creator.LastIndexOf(" in goroutine ", StringComparison.Ordinal);
                if (inGoroutine > 0 && long.TryParse(creator.AsSpan(inGoroutine + 14), NumberStyles.None, CultureInfo.InvariantCulture, out var creatorId))
                {
                    current.CreatorId = creatorId;
                    creator = creator[..inGoroutine];
                }

                pendingFunction = creator;
            }
            else
            {
                pendingFunction = FunctionName(line);
            }
        }

        Flush();
        if (goroutines.Count == 0)
        {
            throw new ProfileFormatException(
                $"not a goroutine dump: none of its {lineNumber} lines is a 'goroutine N [state]:' header");
        }

        return goroutines;

        void Flush()
        {
            if (current is null)
            {
                return;
            }

            if (pendingFunction is not null)
            {
                current.Add(new GoFrame(pendingFunction, null));
                pendingFunction = null;
            }

            goroutines.Add(current.Build());
            current = null;
        }
    }

    public static IReadOnlyList<Goroutine> Parse(string text) => Parse(new StringReader(text));

    /// <summary><c>goroutine 42 [chan receive, 12 minutes, locked to thread]:</c> (Go 1.23 may add fields before the bracket).</summary>
    private static bool TryParseHeader(string line, out Builder header)
    {
        header = null!;
        if (!line.StartsWith(HeaderPrefix, StringComparison.Ordinal) || !line.EndsWith("]:", StringComparison.Ordinal))
        {
            return false;
        }

        var idEnd = line.IndexOf(' ', HeaderPrefix.Length);
        var open = line.IndexOf('[', HeaderPrefix.Length);
        if (idEnd < 0 || open < 0 || open < idEnd
            || !long.TryParse(line.AsSpan(HeaderPrefix.Length, idEnd - HeaderPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return false;
        }

        var state = new List<string>();
        int? minutes = null;
        var locked = false;
        foreach (var part in line[(open + 1)..^2].Split(", "))
        {
            if (part == "locked to thread")
            {
                locked = true;
            }
            else if (part.EndsWith(" minutes", StringComparison.Ordinal) || part.EndsWith(" minute", StringComparison.Ordinal))
            {
                minutes = int.TryParse(part.AsSpan(0, part.IndexOf(' ', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : null;
            }
            else
            {
                state.Add(part);
            }
        }

        header = new Builder(id, string.Join(", ", state), minutes, locked);
        return true;
    }

    /// <summary><c>main.(*T).run(0xc0000a2000, {0x1, 0x2})</c> → <c>main.(*T).run</c>: the trailing balanced argument list goes.</summary>
    internal static string FunctionName(string line)
    {
        var text = line.TrimEnd();
        if (!text.EndsWith(')'))
        {
            return text;
        }

        var depth = 0;
        for (var i = text.Length - 1; i >= 0; i--)
        {
            depth += text[i] switch { ')' => 1, '(' => -1, _ => 0 };
            if (depth == 0)
            {
                return i > 0 ? text[..i] : text;
            }
        }

        return text;
    }

    /// <summary><c>\t/src/main.go:31 +0x45</c> → <c>/src/main.go:31</c>.</summary>
    private static string Location(string line)
    {
        var text = line.Trim();
        var offset = text.LastIndexOf(" +0x", StringComparison.Ordinal);
        return offset > 0 ? text[..offset] : text;
    }

    private sealed class Builder(long id, string state, int? minutes, bool locked)
    {
        private readonly List<GoFrame> frames = [];
        private GoFrame? createdBy;

        public bool Elided { get; set; }

        public bool ReadingCreator { get; set; }

        public long? CreatorId { get; set; }

        public void Add(GoFrame frame)
        {
            if (ReadingCreator)
            {
                createdBy ??= frame;
            }
            else
            {
                frames.Add(frame);
            }
        }

        public Goroutine Build() => new(id, state, minutes, locked, frames, Elided, createdBy, CreatorId);
    }
}
