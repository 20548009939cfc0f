using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Go;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Processes;

/// <summary>Finds local Go processes that run a gops agent, by the port files the agents write.</summary>
public sealed class GopsProcessFinder(IOptions<CollectorOptions> options) : IProcessFinder
{
    private const string What = "Go (gops agent)";

    public Task<ResolvedProcess> ResolveAsync(ProcessSelector selector, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ProcessMatching.Validate(selector, Runtimes.Go);
        var go = options.Value.Go;
        if (selector.Pid is { } pid)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                throw new CaptureFailedException($"process not found: no {What} process matched {selector}");
            }

            if (GopsPortFiles.FindPort(go, pid) is null)
            {
                throw new CaptureFailedException(
                    $"process {pid} has no gops agent: no port file named {pid} in {string.Join(" or ", GopsPortFiles.Directories(go, pid))}");
            }

            return Task.FromResult(ProcessMatching.Describe(pid)
                ?? throw new CaptureFailedException($"process not found: process {pid} exited while being looked up"));
        }

        var candidates = GopsPortFiles.ListAgents(go).Select(ProcessMatching.Describe).OfType<ResolvedProcess>();
        return Task.FromResult(ProcessMatching.SelectOne(selector, candidates, What));
    }
}
