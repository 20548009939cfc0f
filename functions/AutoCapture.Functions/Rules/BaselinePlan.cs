using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Rules;

/// <summary>
/// A rule's baselines: healthy captures of the rule's kinds that incident captures are compared with. Scheduled
/// baselines capture every listed target at quiet times; a peer baseline captures one listed target that is not the
/// alert's, alongside the alert's own capture. Targets are label sets the rule's target templates are rendered from,
/// because a scheduled baseline has no alert to take labels from.
/// </summary>
public sealed record BaselinePlan(BaselineSchedule? Schedule, bool Peer, IReadOnlyList<BaselineTarget> Targets)
{
    /// <summary>The first listed target that is not <paramref name="incident"/> (null when every one is).</summary>
    public BaselineTarget? PeerFor(CaptureTarget incident) => Targets.FirstOrDefault(t => t.Target != incident);
}

/// <summary>One listed target: its labels and the target the rule's templates render from them.</summary>
public sealed record BaselineTarget(IReadOnlyDictionary<string, string> Labels, CaptureTarget Target)
{
    /// <summary>The stand-in alert a baseline is filed under: source <c>baseline</c>, the target's labels, the slot's time.</summary>
    public Alert AlertFor(string rule, DateTimeOffset startsAt, string instance, string groupKey)
    {
        var fingerprint = Fingerprint(Labels);
        return new Alert(
            BaselineMark.Source,
            $"{rule} baseline",
            AlertStatus.Firing,
            Labels,
            new Dictionary<string, string>(StringComparer.Ordinal),
            startsAt,
            null,
            fingerprint,
            $"{instance}\n{fingerprint}",
            GroupKey: groupKey);
    }

    /// <summary>Renders the rule's target from a label set, as an alert carrying those labels would.</summary>
    public static bool TryCreate(string rule, TargetTemplate template, IReadOnlyDictionary<string, string> labels, out BaselineTarget? target, out string error)
    {
        var alert = new BaselineTarget(labels, new CaptureTarget(string.Empty, string.Empty, new ProcessSelector())).AlertFor(rule, DateTimeOffset.UnixEpoch, "render", "render");
        target = null;
        if (!template.TryRender(alert, out var rendered, out error))
        {
            return false;
        }

        target = new BaselineTarget(labels, rendered!);
        return true;
    }

    private static string Fingerprint(IReadOnlyDictionary<string, string> labels)
    {
        var text = string.Join("\n", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 8);
    }
}

/// <summary>
/// When scheduled baselines are due: <c>daily HH:MM</c> (UTC) or <c>every DURATION</c> (slots counted from the Unix
/// epoch, so every instance agrees on them). A slot is taken by the first housekeeping run after it, within
/// <see cref="CatchUp"/>; a slot missed for longer is skipped rather than taken at a busier time.
/// </summary>
public sealed partial record BaselineSchedule(string Text, TimeSpan Interval, TimeSpan Offset)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(7);
    private static readonly TimeSpan MaxCatchUp = TimeSpan.FromHours(1);

    public TimeSpan CatchUp => Interval < MaxCatchUp ? Interval : MaxCatchUp;

    [GeneratedRegex(@"^daily (?<h>[0-9]{2}):(?<m>[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Daily();

    [GeneratedRegex(@"^every (?<d>\S+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex Every();

    public static bool TryParse(string text, out BaselineSchedule? schedule, out string error)
    {
        schedule = null;
        error = string.Empty;
        if (Daily().Match(text) is { Success: true } daily)
        {
            var hours = int.Parse(daily.Groups["h"].Value, CultureInfo.InvariantCulture);
            var minutes = int.Parse(daily.Groups["m"].Value, CultureInfo.InvariantCulture);
            if (hours > 23 || minutes > 59)
            {
                error = $"'{text}' is not a time of day (00:00 to 23:59, UTC)";
                return false;
            }

            schedule = new BaselineSchedule(text, TimeSpan.FromDays(1), new TimeSpan(hours, minutes, 0));
            return true;
        }

        if (Every().Match(text) is { Success: true } every && Durations.TryParse(every.Groups["d"].Value, out var interval))
        {
            if (interval < MinInterval || interval > MaxInterval)
            {
                error = $"'{text}': the interval must be from {Durations.Format(MinInterval)} to {Durations.Format(MaxInterval)}";
                return false;
            }

            schedule = new BaselineSchedule(text, interval, TimeSpan.Zero);
            return true;
        }

        error = $"'{text}' is not a schedule (write daily 03:00 or every 6h)";
        return false;
    }

    /// <summary>The latest slot at or before <paramref name="now"/>.</summary>
    public DateTimeOffset LatestSlot(DateTimeOffset now)
    {
        var sinceFirst = (now - DateTimeOffset.UnixEpoch - Offset).Ticks;
        var slots = sinceFirst / Interval.Ticks;
        return DateTimeOffset.UnixEpoch + Offset + TimeSpan.FromTicks(slots * Interval.Ticks);
    }
}
