using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Functions.Links;

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
    /// <summary>The post this message follows up, when the capture's start was posted (Slack bot: update it, reply in its thread).</summary>
    public ChatPost? FollowUp { get; init; }

    /// <summary>The top finding: every channel shows it as the message's first line.</summary>
    public string? Lead { get; init; }

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
        var kinds = string.Join(", ", manifest.Captures.Select(c => KindLabel(c, manifest.Target.Process.Runtime)));
        var headline = manifest.Status switch
        {
            CaptureStatus.Complete => $"Captured {kinds} of {Where(manifest)}",
            CaptureStatus.Failed => $"Capture failed: {manifest.Error}",
            CaptureStatus.Skipped => $"Capture skipped: {manifest.SkipReason}",
            _ => $"Capturing {kinds} of {Where(manifest)}",
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
            // A timed kind shows what it recorded, which is what the figures cover; the run also took set-up and analysis.
            var recorded = kind.Kind == CaptureKinds.Cpu && manifest.Summary?.Cpu is { DurationSeconds: > 0 } cpu ? $"{cpu.DurationSeconds:0.#} s recorded, " : string.Empty;
            fields.Add((kind.Kind, kind.Outcome == KindOutcome.Succeeded
                ? $"{recorded}{kind.Seconds:0.#} s in all, {Units.Bytes(size)}"
                : $"failed: {kind.Error}"));
        }

        fields.AddRange(AlertContext.Annotations(manifest.Alert));
        var model = manifest.Summary is { } summary ? CaptureFindings.For(summary, manifest.Target.Process.Runtime) : [];
        // The top finding leads the message; the comparison with a healthy capture comes next, since what is
        // different is the question during an incident, then the evidence and the other findings.
        var findings = new List<string>();
        if (model is [var top, ..])
        {
            findings.AddRange(top.Evidence);
        }

        findings.InsertRange(0, DiffFindings.For(manifest.Diff));
        findings.AddRange(CaptureFindings.Lines(model.Skip(1)));
        findings.AddRange(manifest.Notes);
        var links = new List<ChatLink> { new("Capture page", urls.CapturePage(manifest.Id)) };
        links.AddRange(AlertContext.Links(manifest.Alert));
        links.AddRange(manifest.Artifacts.Select(a => new ChatLink($"{a.Name} ({Units.Bytes(a.Size)})", urls.Artifact(manifest.Id, a.Name))));
        return new ChatMessage(manifest.Id, $"{icon} {manifest.Alert.Name}: {manifest.Target.Host}", headline, fields, findings, links)
        {
            Lead = model is [var first, ..] ? first.Text : null,
        };
    }

    // The gops agent answers counters with one reading, whatever window the rule asked for.
    private static string KindLabel(CaptureSpec spec, string runtime) =>
        spec.Kind == CaptureKinds.Counters && runtime == Runtimes.Go ? "counters (one reading)"
        : spec.DurationSeconds is { } s ? $"{spec.Kind} {s} s"
        : spec.Kind;

    /// <summary>The process and its host; a target reached by address names its host already.</summary>
    private static string Where(CaptureManifest manifest)
    {
        var host = manifest.Target.Host;
        if (manifest.Target.Process.Address is not { } address)
        {
            return $"{manifest.Process?.ToString() ?? manifest.Target.Process.ToString()} on {host}";
        }

        var process = manifest.Process?.ToString() ?? ResolvedProcess.AtAddress(address);
        return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Host == host ? process : $"{process} on {host}";
    }
}
