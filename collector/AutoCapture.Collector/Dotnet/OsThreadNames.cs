using AutoCapture.Core.Summaries;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// Thread names as the OS knows them (<c>/proc/{pid}/task/{tid}/comm</c>, at most 15 characters). The runtime gives
/// every <c>Thread.Name</c> and its own threads an OS name, but an EventPipe trace on Linux carries no names at all.
/// </summary>
internal static class OsThreadNames
{
    public static ThreadStacksSummary Fill(ThreadStacksSummary stacks, int pid)
    {
        if (!OperatingSystem.IsLinux() || pid <= 0)
        {
            return stacks;
        }

        // An unnamed thread carries the name of the thread that started it, usually the program's: that names nothing.
        var inherited = Read($"/proc/{pid}/comm");
        return stacks with
        {
            Threads = [.. stacks.Threads.Select(thread =>
                thread.Name is null && Read($"/proc/{pid}/task/{thread.ThreadId}/comm") is { } name && name != inherited
                    ? thread with { Name = name }
                    : thread)],
        };
    }

    private static string? Read(string path)
    {
        try
        {
            // The target names its threads: keep the text printable wherever it is shown.
            var name = new string([.. File.ReadAllText(path).TrimEnd('\n').Select(c => char.IsControl(c) ? '?' : c)]);
            return name.Length > 0 ? name : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
