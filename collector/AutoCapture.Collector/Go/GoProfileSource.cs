using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;

namespace AutoCapture.Collector.Go;

/// <summary>What to ask a Go target for: the net/http/pprof endpoint and, if the gops agent can give it, its command.</summary>
/// <param name="ServerTime">How long the target itself takes to answer (a profile's duration).</param>
public sealed record GoRequest(string PprofPathAndQuery, GopsCommand? Gops, TimeSpan ServerTime);

/// <summary>Gets a Go target's data from its pprof server (targets by address) or its gops agent (local processes).</summary>
public sealed class GoProfileSource(PprofHttpClient pprof, GopsAgentClient gops)
{
    /// <returns>Bytes written to <paramref name="destination"/>, and how long the target took to answer.</returns>
    public async Task<(long Bytes, TimeSpan Elapsed)> FetchAsync(ResolvedProcess target, GoRequest request, string destination, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long bytes;
        if (target.Address is { } address)
        {
            bytes = await pprof.DownloadAsync(new Uri(address), request.PprofPathAndQuery, request.ServerTime, destination, cancellationToken);
        }
        else if (request.Gops is { } command)
        {
            bytes = await gops.RequestAsync(target.Pid, command, destination, cancellationToken);
        }
        else
        {
            throw new CaptureFailedException($"the gops agent cannot give {request.PprofPathAndQuery}; capture this target by its pprof address instead");
        }

        return (bytes, clock.Elapsed);
    }

    public static bool ByAgent(ResolvedProcess target) => target.Address is null;
}
