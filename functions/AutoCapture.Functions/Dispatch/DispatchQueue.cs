using System.Threading.Channels;
using AutoCapture.Functions.Admission;

namespace AutoCapture.Functions.Dispatch;

/// <summary>
/// Capture ids waiting for the dispatcher. Their manifests are already in the store and open (<c>state/open/</c>), so
/// nothing here is the only copy: a capture this instance never gets to is dispatched by housekeeping.
/// </summary>
public sealed class DispatchQueue
{
    private readonly Channel<string> _channel = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ValueTask EnqueueAsync(string captureId, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(captureId, cancellationToken);

    /// <summary>Queues the captures admission started.</summary>
    public async Task EnqueueStartedAsync(IEnumerable<PlannedCapture> captures, CancellationToken cancellationToken)
    {
        foreach (var capture in captures.Where(c => c.Decision == CaptureDecision.Started))
        {
            await EnqueueAsync(capture.CaptureId, cancellationToken);
        }
    }

    public IAsyncEnumerable<string> ReadAllAsync(CancellationToken cancellationToken) =>
        _channel.Reader.ReadAllAsync(cancellationToken);
}
