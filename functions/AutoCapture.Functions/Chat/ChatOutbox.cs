using System.Threading.Channels;
using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// Final messages the webhook request itself decided on (skips) are sent in the background, so Slack's latency
/// never delays the 202. The manifest is already written and open: if this instance dies first, housekeeping sends it.
/// </summary>
public sealed class ChatOutbox(ManifestStore manifests, OpenCaptures open, ChatDispatcher chat, ILogger<ChatOutbox> logger) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    /// <summary>Queues the capture's final message; false when the queue is full (housekeeping sends it later).</summary>
    public bool Enqueue(string captureId) => _queue.Writer.TryWrite(captureId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var captureId in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                // Its first attempt: the skip marked the message as being sent, so housekeeping holds off until it is recorded.
                if (await manifests.ReadAsync(captureId, stoppingToken) is { NotifiedAt: null, NotifyAttempts: 0, Quiet: false } manifest)
                {
                    await chat.NotifyAsync(manifest, stoppingToken);
                    if (await manifests.ReadAsync(captureId, stoppingToken) is { } told && chat.IsSettled(told))
                    {
                        await open.SettleAsync(captureId, stoppingToken);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Capture {CaptureId}: queued chat message not sent ({Reason}); housekeeping will retry", captureId, e.Message);
            }
        }
    }
}
