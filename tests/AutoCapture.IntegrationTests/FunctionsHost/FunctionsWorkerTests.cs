using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Faults.Support;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Azure.WebJobs.Script.Grpc.Messages;
using Xunit.Abstractions;
using Status = Microsoft.Azure.WebJobs.Script.Grpc.Messages.StatusResult.Types.Status;

namespace AutoCapture.IntegrationTests.FunctionsHost;

/// <summary>
/// The published worker under the stand-in Functions host (<see cref="StandInFunctionsHost"/>): launched as the host
/// launches it, it must complete the start/init handshake, report the documented functions, load them, run the timer
/// function, and answer each HTTP function's forwarded request exactly as the same package run standalone answers it.
/// Publishing is CPU-heavy, so this runs in the non-parallel collection.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class FunctionsWorkerTests(PublishedWorker package, ITestOutputHelper output) : IClassFixture<PublishedWorker>, IAsyncLifetime
{
    private const string CaptureId = "20261121-0123456789abcdef";
    private const string HttpUriCapability = "HttpUri";
    private const string InvocationIdHeader = "x-ms-invocation-id";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-worker", Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _bearer = TestEnvironment.Secret();
    private readonly string _collectorKey = TestEnvironment.Secret();
    private readonly string _linkKey = TestEnvironment.Secret();
    private readonly List<Process> _standalone = [];

    /// <summary>Every HTTP function FunctionsHost/README.md documents, with one request the host would forward and what both hosts must answer.</summary>
    private static readonly Dictionary<string, (string Method, string Route, string AuthLevel, string Path, HttpStatusCode Status, string Says)> HttpFunctions = new()
    {
        ["Alerts"] = ("post", "alerts/{source}", "Function", "/api/alerts/alertmanager", HttpStatusCode.Accepted, "\"started\":0"),
        ["CaptureComplete"] = ("post", "captures/{id}/complete", "Anonymous", $"/api/captures/{CaptureId}/complete", HttpStatusCode.Unauthorized, "request is not signed"),
        ["CaptureProgress"] = ("post", "captures/{id}/progress", "Anonymous", $"/api/captures/{CaptureId}/progress", HttpStatusCode.Unauthorized, "request is not signed"),
        ["CaptureList"] = ("get", "captures", "Anonymous", "/api/captures", HttpStatusCode.Forbidden, "the capture API is disabled"),
        ["CaptureGet"] = ("get", "captures/{id}", "Anonymous", $"/api/captures/{CaptureId}", HttpStatusCode.Forbidden, "a signed link is required"),
        ["ArtifactGet"] = ("get", "captures/{id}/artifacts/{name}", "Anonymous", $"/api/captures/{CaptureId}/artifacts/stacks.txt", HttpStatusCode.Forbidden, "a signed link is required"),
        ["CaptureDiff"] = ("get", "captures/{id}/diff", "Anonymous", $"/api/captures/{CaptureId}/diff", HttpStatusCode.Forbidden, "the capture API is disabled"),
        ["CaptureStart"] = ("post", "captures", "Anonymous", "/api/captures", HttpStatusCode.Forbidden, "capture on demand is disabled"),
        ["SlackInteractivity"] = ("post", "slack/interactivity", "Anonymous", "/api/slack/interactivity", HttpStatusCode.NotFound, "Slack interactivity is off"),
        ["Viewer"] = ("get", "viewer/{*path}", "Anonymous", "/api/viewer/index.html", HttpStatusCode.OK, "speedscope"),
    };

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        return File.WriteAllTextAsync(Path.Combine(_root, "rules.yaml"), "rules: []\n");
    }

    public async Task DisposeAsync()
    {
        foreach (var standalone in _standalone)
        {
            await StopAsync(standalone);
        }

        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_worker_speaks_the_host_protocol_and_answers_every_function_as_the_standalone_host_does()
    {
        var standalone = await StartStandaloneAsync("standalone-store");
        await using var host = await StandInFunctionsHost.StartAsync();
        var worker = await host.LaunchAsync(package.Directory, package.Executable, package.WorkerPath, AppSettings("worker-store"));

        var httpUri = await InitAsync(worker);
        var functions = await LoadFunctionsAsync(worker);
        var packaged = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(package.Directory, "functions.metadata")))!.AsArray().Select(f => (string)f!["name"]!);
        Assert.Equal(packaged.Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HttpFunctions.Keys.Append("Housekeeping").Order(StringComparer.Ordinal), functions.Keys.Order(StringComparer.Ordinal));

        var timer = Trigger(functions["Housekeeping"]);
        Assert.Equal("timerTrigger", (string?)timer["type"]);
        Assert.Equal("0 */5 * * * *", (string?)timer["schedule"]);
        var housekeeping = await InvokeTimerAsync(worker, functions["Housekeeping"]);
        Assert.True(housekeeping.Result.Status == Status.Success, $"the timer function failed: {housekeeping.Result.Exception}\n{host.WorkerOutput}");
        Assert.Contains(worker.LogsOf(housekeeping.InvocationId), log => log.Message.Contains("0 captures re-dispatched", StringComparison.Ordinal));

        foreach (var (name, expected) in HttpFunctions)
        {
            var trigger = Trigger(functions[name]);
            Assert.Equal("httpTrigger", (string?)trigger["type"]);
            Assert.Equal(expected.Route, (string?)trigger["route"]);
            Assert.Equal(expected.AuthLevel, (string?)trigger["authLevel"], ignoreCase: true);
            Assert.Equal([expected.Method], trigger["methods"]!.AsArray().Select(m => ((string)m!).ToLowerInvariant()));

            // One body for both hosts: the alert's fingerprint in the answer must be the same.
            var body = expected.Method != "post" ? null : name == "Alerts" ? Alerts.Payload(Alerts.Firing("NoRuleForThis")) : "{\"captureId\":\"" + CaptureId + "\"}";
            var (invocation, forwarded) = await InvokeHttpAsync(worker, functions[name], (string)trigger["name"]!, httpUri, expected.Method, expected.Path, body);
            using var direct = await _http.SendAsync(Request(expected.Method, new Uri(standalone, expected.Path), body));
            var workerBody = await forwarded.Content.ReadAsStringAsync();
            Assert.True(invocation.Result.Status == Status.Success, $"{name}: the invocation failed: {invocation.Result.Exception}");
            Assert.True(expected.Status == forwarded.StatusCode, $"{name}: {expected.Method} {expected.Path} answered {(int)forwarded.StatusCode} {workerBody}\n{host.WorkerOutput}");
            Assert.Contains(expected.Says, workerBody, StringComparison.Ordinal);
            Assert.Equal(direct.StatusCode, forwarded.StatusCode);
            Assert.Equal(await direct.Content.ReadAsStringAsync(), workerBody);
            Assert.Equal(direct.Content.Headers.ContentType, forwarded.Content.Headers.ContentType);
            Assert.Equal(direct.Headers.GetValues("X-Content-Type-Options"), forwarded.Headers.GetValues("X-Content-Type-Options"));
            Assert.Equal(direct.Headers.GetValues("Content-Security-Policy"), forwarded.Headers.GetValues("Content-Security-Policy"));
            forwarded.Dispose();
        }
    }

    [Fact]
    public async Task A_worker_with_an_invalid_rules_file_stops_with_its_line_before_it_connects()
    {
        var rules = Path.Combine(_root, "broken-rules.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - name: [unclosed\n");
        var settings = AppSettings("broken-store");
        settings["AutoCapture__RulesFile"] = rules;
        await using var host = await StandInFunctionsHost.StartAsync();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.LaunchAsync(package.Directory, package.Executable, package.WorkerPath, settings));

        Assert.Equal(2, host.WorkerExitCode);
        Assert.Contains("AutoCapture cannot start: the rules file is invalid", refused.Message, StringComparison.Ordinal);
        Assert.Matches(@"broken-rules\.yaml:\d+:\d+: ", refused.Message);
    }

    /// <summary>
    /// Process launch to the first answered invocation (handshake, metadata, loading every function, then the timer
    /// function), a few times, next to the same package's standalone start (launch to its first answered request);
    /// docs/benchmarks.md records the figures. Nothing is asserted about the times.
    /// </summary>
    [Fact]
    public async Task Cold_start_to_the_first_answered_invocation()
    {
        const int Runs = 5;
        var worker = new List<TimeSpan>();
        var standalone = new List<TimeSpan>();
        for (var run = 0; run < Runs; run++)
        {
            await using var host = await StandInFunctionsHost.StartAsync();
            var clock = Stopwatch.StartNew();
            var stream = await host.LaunchAsync(package.Directory, package.Executable, package.WorkerPath, AppSettings($"cold-store-{run}"));
            await InitAsync(stream);
            var functions = await LoadFunctionsAsync(stream);
            var first = await InvokeTimerAsync(stream, functions["Housekeeping"]);
            worker.Add(clock.Elapsed);
            Assert.True(first.Result.Status == Status.Success, $"run {run}: {first.Result.Exception}");

            clock.Restart();
            await StartStandaloneAsync($"cold-standalone-{run}");
            standalone.Add(clock.Elapsed);
            await StopAsync(_standalone[^1]);
            _standalone.RemoveAt(_standalone.Count - 1);
        }

        output.WriteLine($"worker under the stand-in host, launch to first answered invocation: {Describe(worker)}");
        output.WriteLine($"the same package standalone, launch to first answered request: {Describe(standalone)}");
    }

    private static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private static string Describe(List<TimeSpan> runs)
    {
        var sorted = runs.Order().ToList();
        return $"p50 {sorted[sorted.Count / 2].TotalMilliseconds:0} ms, max {sorted[^1].TotalMilliseconds:0} ms ({string.Join(", ", runs.Select(t => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)))} ms)";
    }

    private Dictionary<string, string> AppSettings(string store) => new()
    {
        ["AutoCapture__RulesFile"] = Path.Combine(_root, "rules.yaml"),
        ["AutoCapture__Store__Path"] = Path.Combine(_root, store),
        ["AutoCapture__Sources__Alertmanager__BearerToken"] = _bearer,
        ["AutoCapture__Collector__SigningKey"] = _collectorKey,
        ["AutoCapture__Links__SigningKey"] = _linkKey,
        ["AutoCapture__PublicBaseUrl"] = "https://autocapture.example.com",
        ["Serilog__MinimumLevel__Default"] = "Warning",
    };

    /// <returns>Where the worker takes forwarded HTTP requests (its HttpUri capability).</returns>
    private static async Task<Uri> InitAsync(WorkerStream worker)
    {
        var answer = await worker.AskAsync(
            new StreamingMessage { RequestId = NewId(), WorkerInitRequest = new WorkerInitRequest { HostVersion = "4.1044.0", WorkerDirectory = AppContext.BaseDirectory, FunctionAppDirectory = AppContext.BaseDirectory } },
            m => m.ContentCase == StreamingMessage.ContentOneofCase.WorkerInitResponse);
        Assert.True(answer.WorkerInitResponse.Result.Status == Status.Success, answer.WorkerInitResponse.Result.Exception?.Message);
        Assert.True(answer.WorkerInitResponse.Capabilities.TryGetValue(HttpUriCapability, out var httpUri), $"the worker reported no {HttpUriCapability} capability: {answer.WorkerInitResponse.Capabilities}");
        return new Uri(httpUri);
    }

    /// <summary>Asks for the functions the worker indexed itself, then loads each, as the host does.</summary>
    private static async Task<Dictionary<string, RpcFunctionMetadata>> LoadFunctionsAsync(WorkerStream worker)
    {
        var answer = await worker.AskAsync(
            new StreamingMessage { RequestId = NewId(), FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = AppContext.BaseDirectory } },
            m => m.ContentCase == StreamingMessage.ContentOneofCase.FunctionMetadataResponse);
        Assert.True(answer.FunctionMetadataResponse.Result.Status == Status.Success, answer.FunctionMetadataResponse.Result.Exception?.Message);
        Assert.False(answer.FunctionMetadataResponse.UseDefaultMetadataIndexing);

        var functions = answer.FunctionMetadataResponse.FunctionMetadataResults.ToDictionary(f => f.Name);
        foreach (var function in functions.Values)
        {
            Assert.False(string.IsNullOrEmpty(function.FunctionId), $"{function.Name} has no function id");
            var loaded = await worker.AskAsync(
                new StreamingMessage { RequestId = NewId(), FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function } },
                m => m.FunctionLoadResponse?.FunctionId == function.FunctionId);
            Assert.True(loaded.FunctionLoadResponse.Result.Status == Status.Success, $"{function.Name} did not load: {loaded.FunctionLoadResponse.Result.Exception?.Message}");
        }

        return functions;
    }

    private static async Task<InvocationResponse> InvokeTimerAsync(WorkerStream worker, RpcFunctionMetadata function)
    {
        var timerInfo = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = null,
            ["IsPastDue"] = false,
        };
        var answer = await worker.AskAsync(Invocation(function, (string)Trigger(function)["name"]!, new TypedData { Json = timerInfo.ToJsonString() }, out var invocationId), m => m.InvocationResponse?.InvocationId == invocationId);
        return answer.InvocationResponse;
    }

    /// <summary>As the host does with the HttpUri capability: the invocation on the stream and the request itself, forwarded to the worker with the invocation's id, at the same time.</summary>
    private async Task<(InvocationResponse Invocation, HttpResponseMessage Forwarded)> InvokeHttpAsync(WorkerStream worker, RpcFunctionMetadata function, string binding, Uri httpUri, string method, string path, string? body)
    {
        var url = new Uri(httpUri, path);
        var invocation = Invocation(function, binding, new TypedData { Http = new RpcHttp { Method = method.ToUpperInvariant(), Url = url.ToString() } }, out var invocationId);
        var answer = worker.AskAsync(invocation, m => m.InvocationResponse?.InvocationId == invocationId);
        var request = Request(method, url, body);
        request.Headers.Add(InvocationIdHeader, invocationId);
        var forwarded = await _http.SendAsync(request);
        return ((await answer).InvocationResponse, forwarded);
    }

    private static StreamingMessage Invocation(RpcFunctionMetadata function, string binding, TypedData data, out string invocationId)
    {
        invocationId = NewId();
        return new StreamingMessage
        {
            RequestId = NewId(),
            InvocationRequest = new InvocationRequest
            {
                InvocationId = invocationId,
                FunctionId = function.FunctionId,
                InputData = { new ParameterBinding { Name = binding, Data = data } },
                // The host sends every invocation's W3C trace context; the worker starts its invocation activity from it.
                TraceContext = new RpcTraceContext { TraceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01" },
            },
        };
    }

    private HttpRequestMessage Request(string method, Uri url, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new("application/json") } };
            request.Headers.Authorization = new("Bearer", _bearer);
        }

        return request;
    }

    private static JsonNode Trigger(RpcFunctionMetadata function) =>
        function.RawBindings.Select(b => JsonNode.Parse(b)!).Single(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal));

    private static string NewId() => Guid.NewGuid().ToString();

    /// <summary>The same package run standalone (no host arguments), the answers the worker's must match.</summary>
    private async Task<Uri> StartStandaloneAsync(string store)
    {
        var address = new Uri($"http://127.0.0.1:{FreePorts.Next()}");
        var start = new ProcessStartInfo(package.Executable) { WorkingDirectory = package.Directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(package.Directory, package.WorkerPath));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString());
        foreach (var (name, value) in AppSettings(store))
        {
            start.Environment[name] = value;
        }

        var standalone = Process.Start(start)!;
        _standalone.Add(standalone);
        var log = new StringBuilder();
        standalone.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        standalone.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        standalone.BeginOutputReadLine();
        standalone.BeginErrorReadLine();

        // Ready once it answers its root; until then the port refuses connections.
        var deadline = DateTime.UtcNow + WorkerStream.AnswerTimeout;
        while (true)
        {
            Assert.False(standalone.HasExited, $"the standalone app exited: {log}");
            try
            {
                using var ready = await _http.GetAsync(address);
                ready.EnsureSuccessStatusCode();
                return address;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }
}
