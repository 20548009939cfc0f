using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;

namespace AutoCapture.Collector.Processes;

/// <summary>The pure part of process selection: which candidates a selector matches, and the words when not exactly one.</summary>
internal static class ProcessMatching
{
    /// <summary>Exact, ordinal name; ordinal command-line substring; pid.</summary>
    public static bool Matches(ProcessSelector selector, ResolvedProcess candidate) =>
        selector.Pid is { } pid ? candidate.Pid == pid
        : selector.Name is { } name ? string.Equals(candidate.Name, name, StringComparison.Ordinal)
        : candidate.CommandLine?.Contains(selector.CommandLine!, StringComparison.Ordinal) == true;

    /// <param name="what">How the candidates are described in messages, e.g. ".NET" or "Go (gops agent)".</param>
    public static ResolvedProcess SelectOne(ProcessSelector selector, IEnumerable<ResolvedProcess> candidates, string what = ".NET")
    {
        var matched = candidates.Where(candidate => Matches(selector, candidate)).OrderBy(p => p.Pid).ToList();
        return matched.Count switch
        {
            1 => matched[0],
            0 => throw new CaptureFailedException($"process not found: no {what} process matched {selector}"),
            _ => throw new CaptureFailedException(
                $"ambiguous: {matched.Count} {what} processes matched {selector} (pids {string.Join(", ", matched.Select(p => p.Pid))})"),
        };
    }

    /// <summary>Refuses selectors that name no process, or several ways at once.</summary>
    public static void Validate(ProcessSelector selector, string runtime = Runtimes.Dotnet)
    {
        if (selector.Runtime != runtime)
        {
            throw new CaptureFailedException($"cannot find {selector.Runtime} processes: only {runtime} is supported here");
        }

        var criteria = (selector.Pid is null ? 0 : 1) + (selector.Name is null ? 0 : 1) + (selector.CommandLine is null ? 0 : 1)
            + (selector.Address is null ? 0 : 1);
        if (criteria != 1 || selector.Pid <= 0 || selector.Name?.Length == 0 || selector.CommandLine?.Length == 0)
        {
            throw new CaptureFailedException(
                "invalid process selector: give exactly one of a positive pid, a name or a command-line substring");
        }
    }

    /// <summary>
    /// The process name: Linux keeps only the first 15 bytes in /proc/pid/comm, so when argv[0]'s file name extends
    /// the truncated comm, that file name is the real one (what <c>ps</c> and .NET's Process.ProcessName show too).
    /// </summary>
    /// <summary>Name and command line of a live local process from /proc, or null when it is gone.</summary>
    public static ResolvedProcess? Describe(int pid)
    {
        try
        {
            if (!OperatingSystem.IsLinux())
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                return new ResolvedProcess(pid, process.ProcessName, null);
            }

            var comm = File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
            var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            return new ResolvedProcess(pid, NameFrom(comm, argv.FirstOrDefault()), string.Join(' ', argv));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string NameFrom(string comm, string? argv0)
    {
        const int CommLength = 15;
        var executable = string.IsNullOrEmpty(argv0) ? null : Path.GetFileName(argv0);
        return comm.Length == CommLength && executable is not null && executable.StartsWith(comm, StringComparison.Ordinal)
            ? executable
            : comm;
    }
}
