using System.Globalization;
using AutoCapture.Core.Captures;

namespace AutoCapture.Cli.Captures;

/// <summary><c>captures show</c>: a capture as plain lines, the same on a terminal and in a pipe.</summary>
internal static class CaptureReport
{
    public static void Print(CaptureManifest m)
    {
        Line("id", m.Id);
        Line("status", m.Status.ToString().ToLowerInvariant() + (m.SkipReason ?? m.Error) switch { { } why => $": {why}", _ => string.Empty });
        Line("alert", $"{m.Alert.Name} ({m.Alert.Source}, fingerprint {m.Alert.Fingerprint}, since {Time(m.Alert.StartsAt)})");
        Line("labels", string.Join(", ", m.Alert.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        Line("rule", m.Rule);
        Line("target", m.Target.ToString());
        if (m.Process is { } process)
        {
            Line("process", process.ToString());
        }

        Line("created", Time(m.CreatedAt));
        if (m.CompletedAt is { } completed)
        {
            Line("finished", Time(completed));
        }

        foreach (var kind in m.Kinds)
        {
            Line(kind.Kind, kind.Outcome == KindOutcome.Succeeded ? $"{kind.Seconds:0.#} s" : $"failed: {kind.Error}");
        }

        foreach (var note in m.Notes)
        {
            Line("note", note);
        }

        Line("chat", m.NotifiedAt is { } at ? $"sent {Time(at)}" : m.NotifyError is { } error ? $"not sent: {error}" : "not sent");
        if (m.Summary?.Cpu is { } cpu)
        {
            Console.WriteLine($"cpu: {cpu.Describe()}; hottest by self time:");
            foreach (var frame in cpu.TopExclusive.Take(10))
            {
                Console.WriteLine($"  {frame.Percent,5:0.0}%  {frame.Frame}");
            }
        }

        if (m.Summary?.Stacks is { } stacks)
        {
            Console.WriteLine($"stacks: {stacks.ThreadCount} managed threads; where most are:");
            foreach (var group in stacks.Threads.GroupBy(t => t.Frames.FirstOrDefault(f => !f.StartsWith('[')) ?? "(native)").OrderByDescending(g => g.Count()).Take(5))
            {
                Console.WriteLine($"  {group.Count(),3} × {group.Key}");
            }
        }

        Console.WriteLine($"artifacts: {m.Artifacts.Count}, {Bytes(m.Artifacts.Sum(a => a.Size))}");
        foreach (var artifact in m.Artifacts)
        {
            Console.WriteLine($"  {artifact.Name}\t{artifact.Kind}\t{Bytes(artifact.Size)}\tsha256 {artifact.Sha256}");
        }
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };

    private static void Line(string name, string value) => Console.WriteLine($"{name}: {value}");

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
