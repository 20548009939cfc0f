namespace AutoCapture.Core.Captures;

/// <summary>The capture kinds a rule can ask for. Strings on the wire so new kinds never break old readers.</summary>
public static class CaptureKinds
{
    public const string Cpu = "cpu";
    public const string Stacks = "stacks";

    public static IReadOnlyList<string> All { get; } = [Cpu, Stacks];

    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);

    /// <summary>Kinds that take a duration; the others are point-in-time snapshots.</summary>
    public static bool IsTimed(string kind) => kind == Cpu;
}

public static class Runtimes
{
    public const string Dotnet = "dotnet";

    public static IReadOnlyList<string> All { get; } = [Dotnet];
}
