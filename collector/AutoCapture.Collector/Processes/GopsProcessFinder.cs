using System.Globalization;
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

        // A target's own $GOPS_CONFIG_DIR is known only from its environment, so name and command-line selectors
        // look at every local process and then for its port file, not only at the collector-side directories.
        var matched = GopsPortFiles.ListAgents(go).Union(LocalPids())
            .Where(candidate => candidate != Environment.ProcessId)
            .Select(ProcessMatching.Describe)
            .OfType<ResolvedProcess>()
            .Where(candidate => ProcessMatching.Matches(selector, candidate))
            .ToList();
        var agents = matched.Where(candidate => GopsPortFiles.FindPort(go, candidate.Pid) is not null).ToList();
        if (agents.Count == 0 && matched.Count > 0)
        {
            throw new CaptureFailedException(string.Join("; ", matched.OrderBy(p => p.Pid).Select(p =>
                $"process {p} has no gops agent port file in {string.Join(" or ", GopsPortFiles.Directories(go, p.Pid))}")));
        }

        return Task.FromResult(ProcessMatching.SelectOne(selector, agents, What));
    }

    private static List<int> LocalPids()
    {
        try
        {
            return Directory.EnumerateDirectories("/proc")
                .Select(path => int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                .Where(pid => pid > 0)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (not Linux): only agents in the collector-side directories can be found.
            return [];
        }
    }
}
