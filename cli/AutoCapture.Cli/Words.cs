namespace AutoCapture.Cli;

/// <summary>English the CLI prints: "1 rule", "2 rules".</summary>
internal static class Words
{
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>A change in percentage points to one decimal; one that rounds to nothing is "±0.0", never "-+0.0".</summary>
    public static string Points(double delta) =>
        Math.Round(delta, 1) is var rounded && rounded == 0 ? "±0.0" : rounded.ToString("+0.0;−0.0", System.Globalization.CultureInfo.InvariantCulture);
}
