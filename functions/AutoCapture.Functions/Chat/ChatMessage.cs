using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Dispatch;

namespace AutoCapture.Functions.Chat;

public sealed record ChatLink(string Text, string Url);

/// <summary>What a chat message says about a capture, before any one chat service's formatting.</summary>
public sealed record ChatMessage(
    string CaptureId,
    string Title,
    string Headline,
    IReadOnlyList<(string Name, string Value)> Fields,
    IReadOnlyList<string> Findings,
    IReadOnlyList<ChatLink> Links)
{
    public const int MaxFindings = 8;

    /// <summary>The post this message follows up, when the capture's start was posted (Slack bot: update it, reply in its thread).</summary>
    public ChatPost? FollowUp { get; init; }

    /// <summary>The capture's whole record, for services that take it as it is (the generic webhook).</summary>
    public CaptureManifest? Manifest { get; init; }

    public static ChatMessage For(CaptureManifest manifest, PublicUrls urls)
    {
        var icon = manifest.Status switch
        {
            CaptureStatus.Complete => "✅",
            CaptureStatus.Failed => "❌",
            CaptureStatus.Skipped => "⏭️",
            _ => "⏳",
        };
        var kinds = string.Join(", ", manifest.Captures.Select(c => c.DurationSeconds is { } s ? $"{c.Kind} {s} s" : c.Kind));
        var headline = manifest.Status switch
        {
            CaptureStatus.Complete => $"Captured {kinds} of {ProcessName(manifest)} on {manifest.Target.Host}",
            CaptureStatus.Failed => $"Capture failed: {manifest.Error}",
            CaptureStatus.Skipped => $"Capture skipped: {manifest.SkipReason}",
            _ => $"Capturing {kinds} of {ProcessName(manifest)} on {manifest.Target.Host}",
        };

        var fields = new List<(string, string)>
        {
            ("Alert", $"{manifest.Alert.Name} ({manifest.Alert.Source}, since {manifest.Alert.StartsAt.UtcDateTime:yyyy-MM-dd HH:mm}Z)"),
            ("Target", manifest.Target.ToString()),
            ("Rule", manifest.Rule),
            ("Status", manifest.Status.ToString().ToLowerInvariant()),
        };
        foreach (var kind in manifest.Kinds)
        {
            var size = manifest.Artifacts.Where(a => a.Kind == kind.Kind).Sum(a => a.Size);
            fields.Add((kind.Kind, kind.Outcome == KindOutcome.Succeeded
                ? $"{kind.Seconds:0.#} s, {FormatBytes(size)}"
                : $"failed: {kind.Error}"));
        }

        var findings = new List<string>();
        if (manifest.Summary?.Cpu is { } cpu)
        {
            findings.Add($"CPU: {cpu.SampleCount.ToString("N0", CultureInfo.InvariantCulture)} samples on {cpu.ThreadCount} threads over {cpu.DurationSeconds:0.#} s. Hottest (self time):");
            // Frames under half a percent are noise in a chat message; the capture page and artifacts keep them.
            findings.AddRange(cpu.TopExclusive.Where(f => f.Percent >= 0.5).Take(5).Select(f => $"  {f.Percent,5:0.0}%  {f.Frame}"));
        }

        if (manifest.Summary?.Stacks is { } stacks)
        {
            findings.Add($"Stacks: {stacks.ThreadCount} managed threads. Where most are:");
            findings.AddRange(stacks.Threads
                .Select(t => TopManagedFrame(t.Frames))
                .OfType<string>()
                .GroupBy(frame => frame)
                .OrderByDescending(g => g.Count())
                .Take(3)
                .Select(g => $"  {g.Count()} × {g.Key}"));
        }

        findings.AddRange(manifest.Notes);
        var links = new List<ChatLink> { new("Capture page", urls.CapturePage(manifest.Id)) };
        links.AddRange(manifest.Artifacts.Select(a => new ChatLink($"{a.Name} ({FormatBytes(a.Size)})", urls.Artifact(manifest.Id, a.Name))));
        return new ChatMessage(manifest.Id, $"{icon} {manifest.Alert.Name}: {manifest.Target.Host}", headline, fields, findings, links);
    }

    /// <summary>The innermost frame that says something: "[native code]" alone does not tell where a thread waits.</summary>
    private static string? TopManagedFrame(IReadOnlyList<string> frames) =>
        frames.FirstOrDefault(f => !f.StartsWith('[')) ?? (frames.Count > 0 ? frames[0] : null);

    private static string ProcessName(CaptureManifest manifest) =>
        manifest.Process is { } p ? $"{p.Name} (pid {p.Pid})" : manifest.Target.Process.ToString();

    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };
}
