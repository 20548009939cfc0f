using System.Diagnostics;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Processes;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Dotnet;

[Collection(DotnetTargetsCollection.Name)]
public sealed class DotnetProcessFinderTests
{
    private readonly DotnetProcessFinder finder = new();

    [Fact]
    public async Task Resolves_a_target_by_pid_name_and_command_line()
    {
        using var target = await TestTargetProcess.StartAsync("idle");

        var byPid = await finder.ResolveAsync(new ProcessSelector(Pid: target.Pid), CancellationToken.None);
        var byName = await finder.ResolveAsync(new ProcessSelector(Name: TestTargetProcess.Name), CancellationToken.None);
        var byCommandLine = await finder.ResolveAsync(new ProcessSelector(CommandLine: target.Tag), CancellationToken.None);

        Assert.Equal(target.Pid, byPid.Pid);
        Assert.Equal(TestTargetProcess.Name, byPid.Name);
        Assert.EndsWith($"/{TestTargetProcess.Name} idle 120 {target.Tag}", byPid.CommandLine, StringComparison.Ordinal);
        Assert.Equal(byPid, byName);
        Assert.Equal(byPid, byCommandLine);
        Assert.Contains(byPid, finder.ListProcesses());
    }

    [Fact]
    public async Task Reports_a_name_nothing_matches_in_words()
    {
        // A name of this run alone: a real "checkout" may well run on a shared machine.
        var name = $"absent-{Guid.NewGuid():N}";
        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            finder.ResolveAsync(new ProcessSelector(Name: name), CancellationToken.None));

        Assert.Equal($"process not found: no .NET process matched name={name}", failure.Message);
    }

    [Fact]
    public async Task Reports_several_matches_as_ambiguous_with_their_pids()
    {
        var tag = $"tag-{Guid.NewGuid():N}";
        using var first = await TestTargetProcess.StartAsync("idle", tag);
        using var second = await TestTargetProcess.StartAsync("idle", tag);

        var failure = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            finder.ResolveAsync(new ProcessSelector(CommandLine: tag), CancellationToken.None));

        var pids = string.Join(", ", new[] { first.Pid, second.Pid }.Order());
        Assert.Equal($"ambiguous: 2 .NET processes matched commandLine~{tag} (pids {pids})", failure.Message);
    }

    [Fact]
    public async Task A_lingering_socket_of_a_dead_process_does_not_make_the_process_that_reuses_its_pid_a_dotnet_one()
    {
        // Pids are reused and the runtime leaves its socket behind when killed: a socket named for this pid, with a
        // key that is not this process's start time, is the leftover of another process.
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var leftover = Path.Combine(Path.GetTempPath(), $"dotnet-diagnostic-{sleeper.Id}-{DotnetProcessFinder.StartTime(sleeper.Id) + 1}-socket");
        await File.WriteAllTextAsync(leftover, string.Empty);
        try
        {
            var notDotnet = await Assert.ThrowsAsync<CaptureFailedException>(() =>
                finder.ResolveAsync(new ProcessSelector(Pid: sleeper.Id), CancellationToken.None));
            Assert.StartsWith($"process {sleeper.Id} has no .NET diagnostics endpoint", notDotnet.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(leftover);
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public async Task Reports_a_process_without_a_diagnostics_endpoint_and_a_pid_that_does_not_exist()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            var notDotnet = await Assert.ThrowsAsync<CaptureFailedException>(() =>
                finder.ResolveAsync(new ProcessSelector(Pid: sleeper.Id), CancellationToken.None));
            Assert.StartsWith($"process {sleeper.Id} has no .NET diagnostics endpoint", notDotnet.Message, StringComparison.Ordinal);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }

        var missing = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            finder.ResolveAsync(new ProcessSelector(Pid: sleeper.Id), CancellationToken.None));
        Assert.Equal($"process not found: no .NET process matched pid={sleeper.Id}", missing.Message);
    }
}
