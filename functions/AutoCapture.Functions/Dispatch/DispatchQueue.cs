using System.Threading.Channels;

namespace AutoCapture.Functions.Dispatch;

/// <summary>Capture ids waiting for the dispatcher. Their manifests are already in the store, so nothing here is the only copy.</summary>
public sealed class DispatchQueue
{
    private readonly Channel<string> _channel = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ValueTask EnqueueAsync(string captureId, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(captureId, cancellationToken);

    public IAsyncEnumerable<string> ReadAllAsync(CancellationToken cancellationToken) =>
        _channel.Reader.ReadAllAsync(cancellationToken);
}
