using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Cli.Captures;

/// <summary><c>captures show</c>: a capture as plain lines, the same on a terminal and in a pipe.</summary>
internal static class CaptureReport
{
    public static void Print(CaptureManifest m)
    {
        // The same findings chat and the capture page lead with, first here too.
        var findings = m.Summary is { } summary ? CaptureFindings.For(summary, m.Target.Process.Runtime) : [];
        Line("id", m.Id);
        Line("status", m.Status.ToString().ToLowerInvariant() + (m.SkipReason ?? m.Error) switch { { } why => $": {why}", _ => string.Empty });
        foreach (var finding in findings)
        {
            Line("finding", finding.Text);
        }

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
        foreach (var line in findings.SelectMany(f => f.Evidence))
        {
            Console.WriteLine(line);
        }

        Console.WriteLine($"artifacts: {m.Artifacts.Count}, {Units.Bytes(m.Artifacts.Sum(a => a.Size))}");
        foreach (var artifact in m.Artifacts)
        {
            Console.WriteLine($"  {artifact.Name}\t{artifact.Kind}\t{Units.Bytes(artifact.Size)}\tsha256 {artifact.Sha256}");
        }
    }

    private static void Line(string name, string value) => Console.WriteLine($"{name}: {value}");

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
