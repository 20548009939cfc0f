using System.Globalization;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// One sampled stack as TraceEvent's thread-time computer builds it, reduced to what the summaries need: the OS
/// thread and the real method frames. The computer wraps real frames in pseudo-frames: a leaf state marker
/// (<c>CPU_TIME</c> while running managed code, <c>UNMANAGED_CODE_TIME</c> while in native code or blocked) and,
/// above the thread's entry point, <c>Thread (id)</c>, <c>Threads</c>, activity and process nodes.
/// </summary>
/// <param name="Frames">Real method frames, innermost first.</param>
/// <param name="InNativeCode">The thread was in native code (a wait, a P/Invoke) rather than running managed code.</param>
internal sealed record ThreadSample(long ThreadId, IReadOnlyList<string> Frames, bool InNativeCode)
{
    /// <summary>The thread's name from its thread node, when it has one.</summary>
    public string? Name { get; init; }

    public const string ManagedCodeMarker = "CPU_TIME";
    public const string NativeCodeMarker = "UNMANAGED_CODE_TIME";
    private const string ThreadNodePrefix = "Thread (";

    /// <summary>Splits a full stack (innermost first) at its thread node; null for a stack with no thread node.</summary>
    public static ThreadSample? FromStack(IReadOnlyList<string> stack)
    {
        var threadNode = -1;
        for (var i = 0; i < stack.Count && threadNode < 0; i++)
        {
            if (stack[i].StartsWith(ThreadNodePrefix, StringComparison.Ordinal))
            {
                threadNode = i;
            }
        }

        if (threadNode < 0 || ParseThreadId(stack[threadNode]) is not { } threadId)
        {
            return null;
        }

        var first = threadNode > 0 && stack[0] is ManagedCodeMarker or NativeCodeMarker ? 1 : 0;
        var frames = new string[threadNode - first];
        for (var i = first; i < threadNode; i++)
        {
            frames[i - first] = stack[i];
        }

        return new ThreadSample(threadId, frames, stack[0] == NativeCodeMarker) { Name = ParseThreadName(stack[threadNode]) };
    }

    // "Thread (4008) (.NET TP Worker)": the name is what the outer parentheses after the id hold.
    private static string? ParseThreadName(string threadNode)
    {
        var open = threadNode.IndexOf(" (", threadNode.IndexOf(')', StringComparison.Ordinal), StringComparison.Ordinal);
        return open > 0 && threadNode.EndsWith(')') && threadNode.Length > open + 3 ? threadNode[(open + 2)..^1] : null;
    }

    // "Thread (4008)" or, with a name, "Thread (4008) (.NET TP Worker)".
    private static long? ParseThreadId(string threadNode)
    {
        var close = threadNode.IndexOf(')', ThreadNodePrefix.Length);
        return close > 0 && long.TryParse(
            threadNode.AsSpan(ThreadNodePrefix.Length, close - ThreadNodePrefix.Length),
            NumberStyles.None,
            CultureInfo.InvariantCulture,
            out var id)
            ? id
            : null;
    }
}
