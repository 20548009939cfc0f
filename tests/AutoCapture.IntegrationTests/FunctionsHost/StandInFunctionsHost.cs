using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoCapture.IntegrationTests.FunctionsHost;

/// <summary>
/// A stand-in for the Azure Functions host, which cannot be installed here: it serves the host's side of the public
/// language-worker protocol (<c>FunctionRpc.EventStream</c>, Protos/) on loopback over HTTP/2 without TLS, as the host
/// does, and starts a published isolated worker the way the host starts it (README.md next to this file says what is
/// and is not reproduced). A test then speaks the protocol through <see cref="WorkerStream"/>.
/// </summary>
internal sealed class StandInFunctionsHost : IAsyncDisposable
{
    /// <summary>What the host passes as the largest gRPC message (int.MaxValue).</summary>
    private const string GrpcMaxMessageLength = "2147483647";

    private readonly WebApplication _server;
    private readonly TaskCompletionSource<WorkerStream> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _workerOutput = new();
    private Process? _worker;

    private StandInFunctionsHost()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton(this);
        _server = builder.Build();
        _server.MapGrpcService<EventStreamService>();
    }

    public Uri Address => new(_server.Urls.Single());

    public int? WorkerExitCode => _worker is { HasExited: true } worker ? worker.ExitCode : null;

    public string WorkerOutput
    {
        get
        {
            lock (_workerOutput)
            {
                return _workerOutput.ToString();
            }
        }
    }

    public static async Task<StandInFunctionsHost> StartAsync()
    {
        var host = new StandInFunctionsHost();
        await host._server.StartAsync();
        return host;
    }

    /// <summary>
    /// Starts the worker as the host does from worker.config.json (<c>defaultExecutablePath</c> running
    /// <c>defaultWorkerPath</c>) in the app's folder, with the host's arguments and environment, and returns the stream
    /// once the worker opened it (its StartStream is the first message).
    /// </summary>
    public async Task<WorkerStream> LaunchAsync(string appDirectory, string executable, string workerPath, IReadOnlyDictionary<string, string> appSettings)
    {
        var workerId = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        var start = new ProcessStartInfo(executable) { WorkingDirectory = appDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] arguments =
        [
            Path.Combine(appDirectory, workerPath),
            "--host", Address.Host, "--port", Address.Port.ToString(CultureInfo.InvariantCulture),
            "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", GrpcMaxMessageLength,
            "--functions-uri", Address.ToString(), "--functions-worker-id", workerId, "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", GrpcMaxMessageLength,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in appSettings)
        {
            start.Environment[name] = value;
        }

        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        start.Environment["AzureWebJobsScriptRoot"] = appDirectory;
        _worker = Process.Start(start)!;
        _worker.OutputDataReceived += (_, e) => Record(e.Data);
        _worker.ErrorDataReceived += (_, e) => Record(e.Data);
        _worker.BeginOutputReadLine();
        _worker.BeginErrorReadLine();

        var exited = _worker.WaitForExitAsync();
        if (await Task.WhenAny(_connected.Task, exited.WaitAsync(WorkerStream.AnswerTimeout)) != _connected.Task)
        {
            throw new InvalidOperationException($"the worker never opened the event stream: {WorkerOutput}");
        }

        var stream = await _connected.Task;
        var first = await stream.NextAsync(m => m.ContentCase == StreamingMessage.ContentOneofCase.StartStream);
        if (first.StartStream.WorkerId != workerId)
        {
            throw new InvalidOperationException($"the worker started its stream as {first.StartStream.WorkerId}, not as {workerId}");
        }

        return stream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            _worker.Kill(entireProcessTree: true);
            await _worker.WaitForExitAsync();
            _worker.Dispose();
        }

        await _server.DisposeAsync();
    }

    private void Record(string? line)
    {
        lock (_workerOutput)
        {
            _workerOutput.AppendLine(line);
        }
    }

    private sealed class EventStreamService(StandInFunctionsHost host) : FunctionRpc.FunctionRpcBase
    {
        public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
        {
            var stream = new WorkerStream(responseStream);
            if (!host._connected.TrySetResult(stream))
            {
                throw new Grpc.Core.RpcException(new Grpc.Core.Status(StatusCode.AlreadyExists, "one worker per stand-in host"));
            }

            await stream.ReadAsync(requestStream, context.CancellationToken);
        }
    }
}

/// <summary>
/// The host's end of one worker's event stream: sends requests and waits for the message that answers each; the
/// worker's logs are kept by invocation.
/// </summary>
internal sealed class WorkerStream(IServerStreamWriter<StreamingMessage> writer)
{
    /// <summary>Only a guard against a hung worker; nothing here is timed.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly List<StreamingMessage> _unclaimed = [];
    private readonly List<(Func<StreamingMessage, bool> Answers, TaskCompletionSource<StreamingMessage> Answer)> _waiting = [];
    private readonly List<RpcLog> _logs = [];

    public IReadOnlyList<RpcLog> LogsOf(string invocationId)
    {
        lock (_logs)
        {
            return _logs.Where(l => l.InvocationId == invocationId).ToList();
        }
    }

    public async Task<StreamingMessage> AskAsync(StreamingMessage request, Func<StreamingMessage, bool> answers)
    {
        var answer = NextAsync(answers);
        await _writing.WaitAsync();
        try
        {
            await writer.WriteAsync(request);
        }
        finally
        {
            _writing.Release();
        }

        return await answer;
    }

    public Task<StreamingMessage> NextAsync(Func<StreamingMessage, bool> answers)
    {
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_unclaimed)
        {
            var early = _unclaimed.FirstOrDefault(answers);
            if (early is not null)
            {
                _unclaimed.Remove(early);
                return Task.FromResult(early);
            }

            _waiting.Add((answers, answer));
        }

        return answer.Task.WaitAsync(AnswerTimeout);
    }

    public async Task ReadAsync(IAsyncStreamReader<StreamingMessage> reader, CancellationToken cancellationToken)
    {
        await foreach (var message in reader.ReadAllAsync(cancellationToken))
        {
            if (message.ContentCase == StreamingMessage.ContentOneofCase.RpcLog)
            {
                lock (_logs)
                {
                    _logs.Add(message.RpcLog);
                }

                continue;
            }

            lock (_unclaimed)
            {
                var waiter = _waiting.FirstOrDefault(w => w.Answers(message));
                if (waiter.Answer is null)
                {
                    _unclaimed.Add(message);
                    continue;
                }

                _waiting.Remove(waiter);
                waiter.Answer.SetResult(message);
            }
        }
    }
}
