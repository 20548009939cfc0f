using AutoCapture.Core.Captures;

namespace AutoCapture.Collector.Processes;

/// <summary>Finds the one process on this host that a selector names.</summary>
public interface IProcessFinder
{
    /// <exception cref="Captures.CaptureFailedException">No process, or more than one, matched; the message says which.</exception>
    Task<ResolvedProcess> ResolveAsync(ProcessSelector selector, CancellationToken cancellationToken);
}
