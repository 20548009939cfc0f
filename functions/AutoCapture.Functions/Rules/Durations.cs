using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoCapture.Functions.Rules;

/// <summary>Prometheus-style durations ("30s", "10m", "1h30m"), the format Alertmanager users already write.</summary>
public static partial class Durations
{
    [GeneratedRegex(@"^(?:(?<v>[0-9]+)(?<u>ms|s|m|h|d|w))+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 32)
        {
            return false;
        }

        var match = Shape().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var values = match.Groups["v"].Captures;
        var units = match.Groups["u"].Captures;
        for (var i = 0; i < values.Count; i++)
        {
            if (!long.TryParse(values[i].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 1_000_000)
            {
                return false;
            }

            duration += units[i].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                "d" => TimeSpan.FromDays(value),
                _ => TimeSpan.FromDays(7 * value),
            };
        }

        return true;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalSeconds < 60 ? $"{duration.TotalSeconds:0.#} s"
        : duration.TotalMinutes < 60 ? $"{duration.TotalMinutes:0.#} min"
        : $"{duration.TotalHours:0.#} h";
}
