using System.Globalization;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// The query string of <c>GET /api/captures</c>: alert, host, process, rule, source, status, label=NAME=VALUE
/// (repeatable), since and until (ISO 8601, or a duration ago such as 7d), limit, cursor.
/// </summary>
public sealed record CaptureQuery(CaptureFilter Filter, int Limit, string? Cursor)
{
    private const int MaxValueLength = 256;
    private static readonly string[] Known = ["alert", "host", "process", "rule", "source", "status", "label", "since", "until", "limit", "cursor"];

    /// <exception cref="FormatException">A parameter is unknown, repeated or malformed; the message names it.</exception>
    public static CaptureQuery Parse(IQueryCollection query, DateTimeOffset now)
    {
        foreach (var (name, values) in query)
        {
            if (!Known.Contains(name, StringComparer.Ordinal))
            {
                throw new FormatException($"unknown parameter '{name}' (known: {string.Join(", ", Known)})");
            }

            if (name != "label" && values.Count > 1)
            {
                throw new FormatException($"parameter '{name}' is given more than once");
            }

            if (values.Any(v => v is null || v.Length > MaxValueLength || v.Any(char.IsControl)))
            {
                throw new FormatException($"parameter '{name}' is longer than {MaxValueLength} characters or holds control characters");
            }
        }

        string? One(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

        CaptureStatus? status = null;
        if (One("status") is { } statusText)
        {
            status = Enum.TryParse<CaptureStatus>(statusText, ignoreCase: true, out var parsed) && !int.TryParse(statusText, out _)
                ? parsed
                : throw new FormatException($"status '{statusText}' is not one of {string.Join(", ", Enum.GetNames<CaptureStatus>().Select(n => n.ToLowerInvariant()))}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in query["label"])
        {
            var equals = label!.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"label '{label}' is not NAME=VALUE");
            }

            labels[label[..equals]] = label[(equals + 1)..];
        }

        var limit = CaptureSearch.DefaultLimit;
        if (One("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > CaptureSearch.MaxLimit))
        {
            throw new FormatException($"limit '{limitText}' is not a number from 1 to {CaptureSearch.MaxLimit}");
        }

        var since = Instant(One("since"), "since", now);
        var until = Instant(One("until"), "until", now);
        if (since > until)
        {
            throw new FormatException("since is after until");
        }

        var filter = new CaptureFilter
        {
            Alert = One("alert"),
            Host = One("host"),
            Process = One("process"),
            Rule = One("rule"),
            Source = One("source"),
            Status = status,
            Labels = labels,
            Since = since,
            Until = until,
        };
        return new CaptureQuery(filter, limit, One("cursor"));
    }

    private static DateTimeOffset? Instant(string? text, string name, DateTimeOffset now)
    {
        if (text is null)
        {
            return null;
        }

        DateTimeOffset instant;
        if (Durations.TryParse(text, out var ago))
        {
            instant = ago <= now - CaptureSearch.Earliest ? now - ago : DateTimeOffset.MinValue;
        }
        else if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant))
        {
            throw new FormatException($"{name} '{text}' is neither an ISO 8601 time (2026-11-21T14:00:00Z) nor a duration ago (36h, 7d)");
        }

        return instant >= CaptureSearch.Earliest ? instant : throw new FormatException($"{name} '{text}' reaches before the calendar begins (the year {CaptureSearch.Earliest.Year})");
    }
}
