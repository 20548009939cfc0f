using System.Globalization;
using AutoCapture.Collector.Options;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Where gops agents say which loopback port they listen on: a file named after the process id, holding the port,
/// in the agent's config directory ($GOPS_CONFIG_DIR, else $HOME/.config/gops of the user running it).
/// </summary>
internal static class GopsPortFiles
{
    /// <summary>The directories to look in: the configured ones, else the target's own and the collector's.</summary>
    public static IReadOnlyList<string> Directories(GoCaptureOptions options, int? pid)
    {
        if (options.GopsConfigDirectories.Count > 0)
        {
            return options.GopsConfigDirectories;
        }

        var directories = new List<string>();
        if (pid is { } target && TargetEnvironment(target) is { } environment)
        {
            AddDefault(directories, environment.GetValueOrDefault("GOPS_CONFIG_DIR"), environment.GetValueOrDefault("HOME"));
        }

        AddDefault(directories, Environment.GetEnvironmentVariable("GOPS_CONFIG_DIR"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        return directories.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The agent's port for <paramref name="pid"/>, or null when no directory has a valid port file for it.</summary>
    public static int? FindPort(GoCaptureOptions options, int pid)
    {
        foreach (var directory in Directories(options, pid))
        {
            if (ReadPort(Path.Combine(directory, pid.ToString(CultureInfo.InvariantCulture))) is { } port)
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>Pids of live processes that have a port file in the collector-side directories.</summary>
    public static IReadOnlyList<int> ListAgents(GoCaptureOptions options)
    {
        var pids = new SortedSet<int>();
        foreach (var directory in Directories(options, pid: null))
        {
            try
            {
                foreach (var file in Directory.EnumerateFiles(directory))
                {
                    if (int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                        && pid > 0 && Directory.Exists($"/proc/{pid}") && ReadPort(file) is not null)
                    {
                        pids.Add(pid);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A directory that is missing or closed to us holds no agents we could talk to.
            }
        }

        return [.. pids];
    }

    private static void AddDefault(List<string> directories, string? configDir, string? home)
    {
        if (!string.IsNullOrEmpty(configDir))
        {
            directories.Add(configDir);
        }
        else if (!string.IsNullOrEmpty(home))
        {
            directories.Add(Path.Combine(home, ".config", "gops"));
        }
    }

    private static int? ReadPort(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 16)
            {
                return null;
            }

            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? port
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Dictionary<string, string>? TargetEnvironment(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ")
                .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(entry => entry.Split('=', 2))
                .Where(pair => pair.Length == 2)
                .GroupBy(pair => pair[0], StringComparer.Ordinal)
                .ToDictionary(group => group.Key, group => group.First()[1], StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
