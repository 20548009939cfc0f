using Microsoft.Diagnostics.Symbols;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Stacks;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// A .nettrace opened with TraceEvent as thread-time stacks: every SampleProfiler sample of every thread, with method
/// names resolved from the trace's own method events and rundown (no symbol files, no network).
/// </summary>
internal sealed class NettraceStacks : IDisposable
{
    private readonly TraceLog log;
    private readonly string etlxPath;
    private readonly Dictionary<StackSourceFrameIndex, string> frameNames = [];

    private NettraceStacks(TraceLog log, string etlxPath, MutableTraceEventStackSource source)
    {
        this.log = log;
        this.etlxPath = etlxPath;
        Source = source;
    }

    public MutableTraceEventStackSource Source { get; }

    public static NettraceStacks Open(string nettracePath)
    {
        var etlxPath = Path.ChangeExtension(nettracePath, ".etlx");
        TraceLog? log = null;
        try
        {
            // ContinueOnError: a trace cut short still yields the samples taken before the cut.
            TraceLog.CreateFromEventPipeDataFile(nettracePath, etlxPath, new TraceLogOptions { ContinueOnError = true });
            log = new TraceLog(etlxPath);
            var source = new MutableTraceEventStackSource(log) { OnlyManagedCodeStacks = true };

            // An empty symbol path: EventPipe stacks are managed and named by the trace itself, so never download symbols.
            using var symbols = new SymbolReader(TextWriter.Null, string.Empty);
            new SampleProfilerThreadTimeComputer(log, symbols) { IncludeEventSourceEvents = false }
                .GenerateThreadTimeStacks(source);
            return new NettraceStacks(log, etlxPath, source);
        }
        catch
        {
            log?.Dispose();
            File.Delete(etlxPath);
            throw;
        }
    }

    /// <summary>The thread and real frames of a stack; null for a stack with no thread node.</summary>
    public ThreadSample? Resolve(StackSourceCallStackIndex stack)
    {
        var frames = new List<string>();
        for (var index = stack; index != StackSourceCallStackIndex.Invalid; index = Source.GetCallerIndex(index))
        {
            var frame = Source.GetFrameIndex(index);
            if (!frameNames.TryGetValue(frame, out var name))
            {
                name = Source.GetFrameName(frame, false);
                frameNames.Add(frame, name);
            }

            frames.Add(name);
        }

        return ThreadSample.FromStack(frames);
    }

    /// <summary>Every lock wait in the trace (see <see cref="Dotnet.LockWaits"/>); a wait still going when the trace ended counts until then.</summary>
    public List<(long Waiter, long Owner, double Seconds)> LockWaits()
    {
        var waits = new LockWaits();
        using var source = log.Events.GetSource();
        waits.Subscribe(source);
        source.Process();
        return waits.Until(log.SessionEndTimeRelativeMSec);
    }

    public void Dispose()
    {
        log.Dispose();
        File.Delete(etlxPath);
    }
}
