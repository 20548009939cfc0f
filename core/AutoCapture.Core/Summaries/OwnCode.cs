using AutoCapture.Core.Captures;

namespace AutoCapture.Core.Summaries;

/// <summary>
/// Tells the application's own frames from the runtime's, the framework's and the standard library's, and the
/// capture's own machinery from both: a finding names the code a responder can change, never the plumbing beneath it.
/// </summary>
public static class OwnCode
{
    /// <summary>
    /// Go: not the standard library (its import paths have no dot in their first element: <c>runtime</c>,
    /// <c>crypto/sha256</c>, <c>net/http</c>) and not the x/ repositories; <c>main</c> and module paths are the
    /// program's. Profile diffs count self time in library code toward the calling code, and goroutine groups are
    /// placed where the program's own code waits.
    /// </summary>
    public static bool IsOwnGoFrame(string function)
    {
        if (function.StartsWith("main.", StringComparison.Ordinal))
        {
            return true;
        }

        var slash = function.IndexOf('/', StringComparison.Ordinal);
        var dot = function.IndexOf('.', StringComparison.Ordinal);
        var first = slash >= 0 && (dot < 0 || slash < dot) ? function[..slash] : dot >= 0 ? function[..dot] : function;
        return first.Contains('.', StringComparison.Ordinal) && first != "golang.org";
    }

    /// <summary>
    /// The target's side of serving a profile or dump (net/http/pprof, runtime/pprof, the gops agent): what it
    /// allocates or runs happens because a capture asked, so diffs and findings leave it out.
    /// </summary>
    public static bool IsGoProfilerFrame(string function) =>
        function.StartsWith("runtime/pprof.", StringComparison.Ordinal)
        || function.StartsWith("net/http/pprof.", StringComparison.Ordinal)
        || function.StartsWith("github.com/google/gops/agent.", StringComparison.Ordinal);

    /// <summary>.NET: frames are <c>module!Namespace.Type.Method(args)</c>; the framework's are System.* and Microsoft.*.</summary>
    public static bool IsOwnDotnetFrame(string frame)
    {
        if (frame.StartsWith('['))
        {
            return false;
        }

        var method = frame[(frame.IndexOf('!', StringComparison.Ordinal) + 1)..];
        return !method.StartsWith("System.", StringComparison.Ordinal) && !method.StartsWith("Microsoft.", StringComparison.Ordinal);
    }

    /// <summary>
    /// .NET: the runtime's EventPipe and EventSource dispatch, which runs in the target only because a capture listens:
    /// a profile that ranked it would be a portrait of the profiler.
    /// </summary>
    public static bool IsDotnetDiagnosticsFrame(string frame) =>
        frame.Contains("!System.Diagnostics.Tracing.", StringComparison.Ordinal)
        || frame.Contains("!Microsoft.Diagnostics.", StringComparison.Ordinal);

    public static bool IsOwn(string runtime, string frame) =>
        runtime == Runtimes.Go ? IsOwnGoFrame(frame) : IsOwnDotnetFrame(frame);

    /// <summary>
    /// A frame as a sentence names it: .NET without module and argument list
    /// (<c>Shop.Cart.Total</c>), Go as it is.
    /// </summary>
    public static string Short(string frame)
    {
        var bang = frame.IndexOf('!', StringComparison.Ordinal);
        var name = bang >= 0 ? frame[(bang + 1)..] : frame;
        var args = name.IndexOf('(', StringComparison.Ordinal);
        return bang >= 0 && args > 0 ? name[..args] : name;
    }
}
