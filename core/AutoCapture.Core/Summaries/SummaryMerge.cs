namespace AutoCapture.Core.Summaries;

public static class SummaryMerge
{
    /// <summary>Combines per-kind summaries; each provider fills only its own section.</summary>
    public static CaptureSummary Merge(this CaptureSummary left, CaptureSummary right) => new()
    {
        Cpu = right.Cpu ?? left.Cpu,
        Stacks = right.Stacks ?? left.Stacks,
    };
}
