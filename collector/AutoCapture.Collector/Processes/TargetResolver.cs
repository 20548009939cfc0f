using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Processes;

/// <summary>
/// Resolves any selector: .NET processes by their diagnostics endpoint, Go processes by their gops agent, Go targets
/// by address (normalised, never contacted here). Then checks the allowlists, before any provider runs.
/// </summary>
public sealed class TargetResolver(DotnetProcessFinder dotnet, GopsProcessFinder gops, IOptions<CollectorOptions> options) : IProcessFinder
{
    public async Task<ResolvedProcess> ResolveAsync(ProcessSelector selector, CancellationToken cancellationToken)
    {
        var target = selector switch
        {
            { Runtime: Runtimes.Go, Address: { } address } => ResolveAddress(address),
            { Runtime: Runtimes.Go } => await gops.ResolveAsync(selector, cancellationToken),
            _ => await dotnet.ResolveAsync(selector, cancellationToken),
        };
        EnsureAllowed(target, options.Value);
        return target;
    }

    private static ResolvedProcess ResolveAddress(string text)
    {
        if (!TargetAddress.TryNormalize(text, out var address, out var error))
        {
            throw new CaptureFailedException($"invalid target: {error}");
        }

        return new ResolvedProcess(0, $"{address.Host}:{address.Port}", null, TargetAddress.Format(address));
    }

    internal static void EnsureAllowed(ResolvedProcess target, CollectorOptions options)
    {
        if (target.Address is { } address)
        {
            var uri = new Uri(address);
            if (!options.ParsedAllowedAddresses().Any(entry => entry.Allows(uri)))
            {
                throw new CaptureFailedException($"refused: address {address} is not in this collector's allowlist (AutoCapture:Collector:AllowedAddresses)");
            }

            return;
        }

        if (!options.AllowedProcesses.Any(a => a.Allows(target.Name, target.CommandLine)))
        {
            throw new CaptureFailedException($"refused: process {target.Name} (pid {target.Pid}) is not in this collector's allowlist (AutoCapture:Collector:AllowedProcesses)");
        }
    }
}
