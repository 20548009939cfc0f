using System.Net;
using System.Net.Sockets;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>
/// A loopback TCP proxy in front of a collector that injects network faults into the connections it accepts:
/// pass them through, hold the request (it never reaches the collector), or let the request through and hold the
/// answer back for a while or for ever (the collector took the job; the caller does not know). A mode applies to
/// connections accepted after it is set, so a retry on a new connection sees the mode of its time.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private Mode _mode = new(Kind.Forward, TimeSpan.Zero);
    private TaskCompletionSource _requestHeld = NewSignal();
    private TaskCompletionSource _answerHeld = NewSignal();
    private int _accepted;

    private enum Kind
    {
        Forward,
        HoldRequests,
        DelayAnswers,
    }

    private sealed record Mode(Kind Kind, TimeSpan Delay);

    private FaultProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static FaultProxy Start(int upstreamPort) => new(upstreamPort);

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public void Forward() => _mode = new Mode(Kind.Forward, TimeSpan.Zero);

    /// <summary>Requests are read and kept; nothing reaches the collector.</summary>
    public void HoldRequests()
    {
        _requestHeld = NewSignal();
        _mode = new Mode(Kind.HoldRequests, TimeSpan.Zero);
    }

    /// <summary>Requests reach the collector at once; its answers reach the caller <paramref name="delay"/> later (never, if infinite).</summary>
    public void DelayAnswers(TimeSpan delay)
    {
        _answerHeld = NewSignal();
        _mode = new Mode(Kind.DelayAnswers, delay);
    }

    /// <summary>Completes when a request has been held (<see cref="HoldRequests"/>).</summary>
    public Task RequestHeld => _requestHeld.Task;

    /// <summary>Completes when the collector's answer is being held back (<see cref="DelayAnswers"/>): the collector has the request.</summary>
    public Task AnswerHeld => _answerHeld.Task;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            var mode = _mode;
            lock (_connections)
            {
                _connections.Add(Task.Run(() => HandleAsync(client, mode)));
            }
        }
    }

    private async Task HandleAsync(TcpClient client, Mode mode)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        using (client)
        {
            try
            {
                var caller = client.GetStream();
                if (mode.Kind == Kind.HoldRequests)
                {
                    await HoldAsync(caller, _requestHeld, connection.Token);
                    return;
                }

                using var upstream = new TcpClient();
                await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, connection.Token);
                var collector = upstream.GetStream();
                var answerHeld = _answerHeld;
                var requests = PumpAsync(caller, collector, TimeSpan.Zero, null, connection.Token);
                var answers = PumpAsync(collector, caller, mode.Kind == Kind.DelayAnswers ? mode.Delay : TimeSpan.Zero, mode.Kind == Kind.DelayAnswers ? answerHeld : null, connection.Token);
                // Either side closing ends the connection: a caller that gave up takes the held answer with it.
                await Task.WhenAny(requests, answers);
                await connection.CancelAsync();
                await Task.WhenAll(requests, answers).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The caller or the collector went away: that is the fault being injected, or the end of the test.
            }
        }
    }

    private static async Task HoldAsync(NetworkStream caller, TaskCompletionSource held, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (await caller.ReadAsync(buffer, cancellationToken) > 0)
        {
            held.TrySetResult();
        }
    }

    private static async Task PumpAsync(NetworkStream from, NetworkStream to, TimeSpan delayFirst, TaskCompletionSource? held, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var first = true;
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (first && (delayFirst != TimeSpan.Zero || held is not null))
            {
                held?.TrySetResult();
                await Task.Delay(delayFirst, cancellationToken);
            }

            first = false;
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _listener.Dispose();
        _stopping.Dispose();
    }
}
