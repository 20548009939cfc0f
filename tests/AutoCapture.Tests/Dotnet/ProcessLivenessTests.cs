using AutoCapture.Collector.Processes;

namespace AutoCapture.Tests.Dotnet;

/// <summary>
/// Diagnostics sockets of dead processes linger in /tmp, and their numbers get reused — sometimes by a thread, whose
/// /proc entry looks like a process. Only a real process counts, or one target would match twice.
/// </summary>
public sealed class ProcessLivenessTests
{
    [Fact]
    public void A_thread_id_is_not_a_live_process_but_the_process_is()
    {
        Assert.True(OperatingSystem.IsLinux(), "the collector's process discovery reads /proc");
        var pid = Environment.ProcessId;
        var threads = Directory.GetDirectories($"/proc/{pid}/task").Select(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)).Where(tid => tid != pid).ToList();

        Assert.NotEmpty(threads);
        Assert.True(DotnetProcessFinder.Exists(pid));
        Assert.All(threads, tid => Assert.False(DotnetProcessFinder.Exists(tid), $"thread {tid} counted as a process"));
        Assert.False(DotnetProcessFinder.Exists(int.MaxValue));
    }
}
