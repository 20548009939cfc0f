using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// What one host can take at once, whatever the webhook side decided: never two CPU sessions on the same
/// process, at most <see cref="CollectorOptions.MaxConcurrentTraces"/> timed traces, and never two captures of an
/// exclusive kind (one that pauses or copies the whole .NET process) on the same process. A request beyond that
/// is answered 409 with the reason.
/// </summary>
public sealed class CollectorAdmission(IOptions<CollectorOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CaptureRequest> _admitted = new(StringComparer.Ordinal);

    /// <summary>
    /// Kinds that stop or copy a whole .NET process; only one of them runs on a process at a time. A Go heap profile
    /// is not one: the runtime keeps it as it allocates, and serving it walks nothing.
    /// </summary>
    public static IReadOnlySet<string> ExclusiveKinds { get; } = new HashSet<string>(StringComparer.Ordinal) { CaptureKinds.Heap, CaptureKinds.Dump };

    /// <summary>Admits the request, or says why the host is too busy for it.</summary>
    public string? TryAdmit(CaptureRequest request)
    {
        lock (_gate)
        {
            var running = _admitted.Values.ToList();
            if (request.Captures.Any(c => c.Kind == CaptureKinds.Cpu)
                && running.FirstOrDefault(r => r.Process == request.Process && r.Captures.Any(c => c.Kind == CaptureKinds.Cpu)) is { } cpu)
            {
                return $"a cpu capture ({cpu.CaptureId}) is already running on {request.Process}";
            }

            var traces = running.Sum(r => r.Captures.Count(c => CaptureKinds.IsTimed(c.Kind)));
            if (request.Captures.Any(c => CaptureKinds.IsTimed(c.Kind)) && traces >= options.Value.MaxConcurrentTraces)
            {
                return $"{traces} traces are already running on this host (AutoCapture:Collector:MaxConcurrentTraces)";
            }

            if (IsExclusive(request)
                && running.FirstOrDefault(r => r.Process == request.Process && IsExclusive(r)) is { } exclusive)
            {
                return $"a {string.Join("/", exclusive.Captures.Where(c => ExclusiveKinds.Contains(c.Kind)).Select(c => c.Kind))} capture ({exclusive.CaptureId}) is already running on {request.Process}";
            }

            _admitted[request.CaptureId] = request;
            return null;
        }
    }

    private static bool IsExclusive(CaptureRequest request) =>
        request.Process.Runtime == Runtimes.Dotnet && request.Captures.Any(c => ExclusiveKinds.Contains(c.Kind));

    public void Release(string captureId)
    {
        lock (_gate)
        {
            _admitted.Remove(captureId);
        }
    }
}
