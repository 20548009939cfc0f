using System.Globalization;

namespace AutoCapture.Core.Summaries;

/// <summary>Values as people read them in a chat message: 19.8 MiB, 1.25 s, 12,400.</summary>
public static class Units
{
    public static string Format(double value, string unit) => unit switch
    {
        "bytes" => Bytes((long)value),
        "nanoseconds" => Seconds(value / 1e9),
        "count" or "" => Count(value),
        _ => $"{Count(value)} {unit}",
    };

    public static string Bytes(long bytes)
    {
        var size = Math.Abs(bytes);
        return size switch
        {
            < 1024 => $"{bytes} B",
            < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
            < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
            _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
        };
    }

    public static string Count(double value) =>
        Math.Abs(value) >= 100 || value == Math.Floor(value) ? value.ToString("#,0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Seconds(double seconds) => Math.Abs(seconds) >= 1 ? $"{seconds:0.##} s" : $"{seconds * 1000:0.#} ms";

    /// <summary>A signed difference: +1,240 or −300 (a real minus sign, which reads better than a hyphen).</summary>
    public static string Signed(long delta) => delta >= 0 ? $"+{Count(delta)}" : $"−{Count(-delta)}";
}
