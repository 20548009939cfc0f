using System.Diagnostics;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using Microsoft.Diagnostics.NETCore.Client;

namespace AutoCapture.Collector.Processes;

/// <summary>
/// Finds .NET processes by their diagnostics endpoint (the same discovery dotnet-trace uses), so every process it
/// returns can be traced. Name and command line come from /proc on Linux.
/// </summary>
public sealed class DotnetProcessFinder : IProcessFinder
{
    public Task<ResolvedProcess> ResolveAsync(ProcessSelector selector, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ProcessMatching.Validate(selector);
        var published = PublishedPids();

        if (selector.Pid is { } pid)
        {
            if (!published.Contains(pid))
            {
                throw new CaptureFailedException(Exists(pid)
                    ? $"process {pid} has no .NET diagnostics endpoint: it is not a .NET process, or it runs with DOTNET_EnableDiagnostics=0"
                    : $"process not found: no .NET process matched {selector}");
            }

            return Task.FromResult(Describe(pid)
                ?? throw new CaptureFailedException($"process not found: process {pid} exited while being looked up"));
        }

        // The collector never picks itself by name or command line: its own arguments could match a selector.
        var candidates = published
            .Where(candidate => candidate != Environment.ProcessId)
            .Select(Describe)
            .OfType<ResolvedProcess>();
        return Task.FromResult(ProcessMatching.SelectOne(selector, candidates));
    }

    /// <summary>Every .NET process on this host that has a diagnostics endpoint, the collector included.</summary>
    public IReadOnlyList<ResolvedProcess> ListProcesses() =>
        PublishedPids().Order().Select(Describe).OfType<ResolvedProcess>().ToList();

    private static HashSet<int> PublishedPids()
    {
        if (OperatingSystem.IsLinux())
        {
            return LocalPublishedPids();
        }

        try
        {
            return DiagnosticsClient.GetPublishedProcesses().ToHashSet();
        }
        catch (IOException)
        {
            // Client 0.2.745401 reads every /proc/{pid}/environ looking for containers and throws on kernel threads,
            // whose environ fails with ESRCH: on Linux it always lands here. Later clients catch that themselves.
            return LocalPublishedPids();
        }
        catch (Exception e)
        {
            throw new CaptureFailedException($"cannot list .NET processes: {e.Message}", e);
        }
    }

    /// <summary>
    /// Processes whose runtime published a diagnostics socket in this host's temp folder, as
    /// <c>dotnet-diagnostic-{pid}-{key}-socket</c>. Sockets of dead processes linger and pids are reused, so a socket
    /// counts only if its key is the start time of the process that has its pid now (the runtime names it so).
    /// </summary>
    private static HashSet<int> LocalPublishedPids()
    {
        try
        {
            return Directory.EnumerateFiles(Path.GetTempPath(), "dotnet-diagnostic-*-socket")
                .Select(path => Path.GetFileName(path).Split('-'))
                .Where(parts => parts.Length == 5 && int.TryParse(parts[2], out var pid) && pid > 0 && ulong.TryParse(parts[3], out _))
                .Select(parts => (Pid: int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), Key: ulong.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)))
                // The start time first: it reads one file, and answers null at once for the many pids of dead processes.
                .Where(socket => StartTime(socket.Pid) == socket.Key && Exists(socket.Pid))
                .Select(socket => socket.Pid)
                .ToHashSet();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CaptureFailedException($"cannot list .NET processes in {Path.GetTempPath()}: {e.Message}", e);
        }
    }

    private static ResolvedProcess? Describe(int pid) => ProcessMatching.Describe(pid);

    /// <summary>Field 22 of /proc/{pid}/stat (clock ticks after boot): what the runtime puts in its socket's name.</summary>
    internal static ulong? StartTime(int pid)
    {
        var path = $"/proc/{pid}/stat";
        try
        {
            // Checked first because a missing file costs an exception, and sockets of dead processes linger by the thousand.
            if (!File.Exists(path))
            {
                return null;
            }

            var stat = File.ReadAllText(path);
            // The command name (field 2) is in parentheses and may hold spaces; fields from 3 on follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && ulong.TryParse(fields[19], System.Globalization.CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static bool Exists(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            // /proc/{n} also answers for every thread id (though listings hide them): a lingering socket whose number
            // now belongs to a thread of another process must not count, or that process would match twice.
            try
            {
                var tgid = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(line => line.StartsWith("Tgid:", StringComparison.Ordinal));
                return tgid is not null && int.TryParse(tgid.AsSpan(5).Trim(), out var owner) && owner == pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
