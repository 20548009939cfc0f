using System.Diagnostics.Tracing;
using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// .NET stacks: the managed stack of every thread, from a very short sampling trace, stored as stacks.txt. A snapshot:
/// the capture's duration does not apply. When threads wait to enter a lock, a second short session names who holds
/// it (see <see cref="StackLockHolders"/>).
/// </summary>
public sealed class DotnetStacksCaptureProvider : ICaptureProvider
{
    internal static readonly EventPipeProvider[] Providers =
    [
        new("Microsoft-DotNETCore-SampleProfiler", EventLevel.Informational),
    ];

    // The sampler visits every thread about once a millisecond; 100 ms leaves room for a busy, 2-core host.
    internal static readonly TimeSpan SampleWindow = TimeSpan.FromMilliseconds(100);

    public string Runtime => Runtimes.Dotnet;

    public string Kind => CaptureKinds.Stacks;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        var tracePath = Path.Combine(context.WorkDirectory, "stacks.nettrace");
        var textPath = Path.Combine(context.WorkDirectory, "stacks.txt");

        await EventPipeRecorder.RecordAsync(context.Process, Providers, SampleWindow, tracePath, cancellationToken);
        var stacks = OsThreadNames.Fill(
            await CaptureSteps.AnalyseAsync("the stacks trace", () => NettraceStacksAnalyzer.Analyze(tracePath), cancellationToken),
            context.Process.Pid);
        if (stacks.ThreadCount == 0)
        {
            throw new CaptureFailedException(
                $"process {context.Process.Pid} ({context.Process.Name}) gave no thread samples in {SampleWindow.TotalMilliseconds:F0} ms");
        }

        stacks = stacks with
        {
            Locks = await StackLockHolders.ListenAsync(context.Process, stacks, Path.Combine(context.WorkDirectory, "locks.nettrace"), cancellationToken),
        };

        await using (var text = new StreamWriter(textPath, append: false, new UTF8Encoding(false)))
        {
            NettraceStacksAnalyzer.WriteText(stacks, text);
        }

        await context.Artifacts.UploadAsync(textPath, Kind, "text/plain", cancellationToken);
        return new CaptureSummary { Stacks = stacks };
    }
}
