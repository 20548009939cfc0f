using System.Globalization;
using System.Text.RegularExpressions;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Go counters through the gops agent: its memory statistics and runtime statistics, stored together as counters.txt
/// and read into the counters section (one value each: the agent reports a moment, not a window).
/// </summary>
public sealed partial class GoAgentCountersCaptureProvider(GoProfileSource source) : ICaptureProvider
{
    public string Runtime => Runtimes.Go;

    public string Kind => CaptureKinds.Counters;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        if (!GoProfileSource.ByAgent(context.Process))
        {
            throw new CaptureFailedException("counters of a Go target come from its gops agent; net/http/pprof has none (capture the process by pid, name or command line)");
        }

        var memstats = Path.Combine(context.WorkDirectory, "memstats.txt");
        var stats = Path.Combine(context.WorkDirectory, "stats.txt");
        await source.FetchAsync(context.Process, new GoRequest("/debug/pprof/", GopsCommand.MemStats, TimeSpan.Zero), memstats, cancellationToken);
        await source.FetchAsync(context.Process, new GoRequest("/debug/pprof/", GopsCommand.Stats, TimeSpan.Zero), stats, cancellationToken);
        var text = await File.ReadAllTextAsync(memstats, cancellationToken) + await File.ReadAllTextAsync(stats, cancellationToken);
        var counters = Parse(text);
        if (counters.Count == 0)
        {
            throw new CaptureFailedException("the gops agent's statistics hold no 'name: value' line");
        }

        var path = Path.Combine(context.WorkDirectory, "counters.txt");
        await File.WriteAllTextAsync(path, text, cancellationToken);
        await context.Artifacts.UploadAsync(path, Kind, "text/plain", cancellationToken);
        return new CaptureSummary { Counters = new RuntimeCountersSummary(0, counters) };
    }

    // "heap-alloc: 22.89MB (24005552 bytes)", "alloc: 1234 bytes", "goroutines: 12", "next-gc: when heap-alloc >= 4.00MB (4194304 bytes)".
    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9 -]*):\s*(?:.*\((?<bytes>[0-9]+) bytes\)|(?:when [a-z-]+ >= )?(?<plain>[0-9]+(?:\.[0-9]+)?)(?<unit> bytes)?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Line();

    internal static List<CounterStat> Parse(string text)
    {
        var counters = new List<CounterStat>();
        foreach (var line in text.Split('\n'))
        {
            var match = Line().Match(line.Trim());
            if (!match.Success)
            {
                continue;
            }

            var isBytes = match.Groups["bytes"].Success || match.Groups["unit"].Success;
            var number = match.Groups["bytes"].Success ? match.Groups["bytes"].Value : match.Groups["plain"].Value;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var name = match.Groups["name"].Value.Trim();
            counters.Add(new CounterStat(name.ToLowerInvariant().Replace(' ', '-'), name, isBytes ? "bytes" : string.Empty, value, value, value, 1));
        }

        return counters;
    }
}
