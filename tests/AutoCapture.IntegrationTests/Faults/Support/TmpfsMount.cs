using System.Diagnostics;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>
/// A small tmpfs mounted for one test: a disk that really fills up (writes fail with ENOSPC). Mounting needs root,
/// as on CI; without it the test fails and says so rather than passing without its fault.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path, long bytes)
    {
        Path = path;
        Bytes = bytes;
    }

    public string Path { get; }

    public long Bytes { get; }

    public static async Task<TmpfsMount> MountAsync(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var (exit, error) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={bytes},mode=0777", "tmpfs", path);
        if (exit != 0)
        {
            throw new InvalidOperationException(
                $"The disk-full scenario needs a small tmpfs at {path} but `mount -t tmpfs` failed ({exit}): {error.Trim()}. " +
                "Run the tests as root (CI does), or in a container allowed to mount.");
        }

        return new TmpfsMount(path, bytes);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Writes a file until the disk is full, then gives back <paramref name="leaveFree"/> bytes of it.</summary>
    public void FillUp(long leaveFree = 0, string name = "filler")
    {
        // Unbuffered, so nothing is left to flush (and fail) when the file is closed.
        using var file = new FileStream(System.IO.Path.Combine(Path, name), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                file.Write(block);
            }
        }
        catch (IOException)
        {
            // ENOSPC: that was the point.
        }

        file.SetLength(Math.Max(0, file.Length - leaveFree));
    }

    public void Free(string name = "filler") => File.Delete(System.IO.Path.Combine(Path, name));

    private static async Task<(int Exit, string Error)> RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{command} could not be run: {e.Message}");
        }
    }

    public void Dispose()
    {
        // Lazy: a process that still has a file open there (a killed collector's last write) cannot keep it mounted.
        RunAsync("umount", "-l", Path).GetAwaiter().GetResult();
    }
}
