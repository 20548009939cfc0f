using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.FunctionsHost;

/// <summary>
/// Functions Core Tools cannot be installed here, so this checks the contract the Functions host relies on:
/// builds the deployable zip with infra/publish-functions.sh, unpacks it, starts the handler from the package the
/// way the host does (working directory = package, port in FUNCTIONS_CUSTOMHANDLER_PORT), then sends what the host
/// sends: forwarded HTTP requests at their /api paths with an invocation id header, and the JSON envelope of a
/// timer invocation. Publishing is CPU-heavy, so it runs in the non-parallel collection.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class FunctionsPackageTests : IAsyncLifetime
{
    private const string CaptureId = "20261121-0123456789abcdef";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-package", Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _bearer = TestEnvironment.Secret();
    private Process? _handler;
    private string _package = null!;
    private int _port;

    /// <summary>For every function the package declares, a request the host would forward and what the app must answer.</summary>
    private static readonly Dictionary<string, (string Path, HttpStatusCode Status, string Says)> HttpExpectations = new()
    {
        ["Alerts"] = ("/api/alerts/alertmanager", HttpStatusCode.Accepted, "\"started\":0"),
        ["CaptureComplete"] = ($"/api/captures/{CaptureId}/complete", HttpStatusCode.Unauthorized, "request is not signed"),
        ["CaptureProgress"] = ($"/api/captures/{CaptureId}/progress", HttpStatusCode.Unauthorized, "request is not signed"),
        ["CaptureGet"] = ($"/api/captures/{CaptureId}", HttpStatusCode.Forbidden, "a signed link is required"),
        ["ArtifactGet"] = ($"/api/captures/{CaptureId}/artifacts/stacks.txt", HttpStatusCode.Forbidden, "a signed link is required"),
        ["CaptureList"] = ("/api/captures", HttpStatusCode.Forbidden, "the capture API is disabled"),
        ["CaptureDiff"] = ($"/api/captures/{CaptureId}/diff", HttpStatusCode.Forbidden, "the capture API is disabled"),
        ["Viewer"] = ("/api/viewer/index.html", HttpStatusCode.OK, "speedscope"),
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var zip = (await RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "infra", "publish-functions.sh"), Path.Combine(_root, "out")], TimeSpan.FromMinutes(8))).Trim().Split('\n')[^1];
        _package = Path.Combine(_root, "package");
        await RunAsync("unzip", ["-q", zip, "-d", _package], TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        if (_handler is not null)
        {
            _handler.Kill(entireProcessTree: true);
            await _handler.WaitForExitAsync();
            _handler.Dispose();
        }

        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_package_serves_every_declared_function_when_started_as_the_host_starts_it()
    {
        var host = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_package, "host.json")))!;
        Assert.Equal("2.0", (string?)host["version"]);
        Assert.True((bool?)host["customHandler"]!["enableForwardingHttpRequest"]);
        Assert.Equal("api", (string?)host["extensions"]!["http"]!["routePrefix"]);
        var executable = Path.Combine(_package, (string)host["customHandler"]!["description"]!["defaultExecutablePath"]!);
        Assert.True(File.Exists(executable), $"{executable} is missing from the package");
        Assert.True(OperatingSystem.IsLinux() && File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute), "the executable lost its run bit in the zip");

        var functions = Directory.GetDirectories(_package)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .ToDictionary(d => Path.GetFileName(d), d => JsonNode.Parse(File.ReadAllText(Path.Combine(d, "function.json")))!);
        Assert.Equal(["Alerts", "ArtifactGet", "CaptureComplete", "CaptureDiff", "CaptureGet", "CaptureList", "CaptureProgress", "Housekeeping", "Viewer"], functions.Keys.Order(StringComparer.Ordinal));

        await StartHandlerAsync(executable);

        foreach (var (name, definition) in functions)
        {
            var trigger = definition["bindings"]!.AsArray().Single(b => ((string?)b!["type"])!.EndsWith("Trigger", StringComparison.Ordinal))!;
            if ((string?)trigger["type"] == "httpTrigger")
            {
                await CheckHttpFunctionAsync(name, trigger);
            }
            else
            {
                Assert.Equal("timerTrigger", (string?)trigger["type"]);
                Assert.Equal(6, ((string)trigger["schedule"]!).Split(' ').Length);
                await CheckTimerFunctionAsync(name);
            }
        }

        // A route no function declares is not served: the checks above are not passing by accident.
        using var unknown = await _http.GetAsync($"http://127.0.0.1:{_port}/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task CheckHttpFunctionAsync(string name, JsonNode trigger)
    {
        Assert.True(HttpExpectations.TryGetValue(name, out var expected), $"function {name} has no expectation in this test: add one");
        var authLevel = (string?)trigger["authLevel"];
        Assert.Equal(name == "Alerts" ? "function" : "anonymous", authLevel);
        var route = (string)trigger["route"]!;
        var method = new HttpMethod(((string)trigger["methods"]![0]!).ToUpperInvariant());
        Assert.Equal(expected.Path, "/api/" + route.Replace("{source}", "alertmanager", StringComparison.Ordinal)
            .Replace("{id}", CaptureId, StringComparison.Ordinal).Replace("{name}", "stacks.txt", StringComparison.Ordinal).Replace("{*path}", "index.html", StringComparison.Ordinal));

        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{_port}{expected.Path}");
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        if (method == HttpMethod.Post)
        {
            var body = name == "Alerts" ? Alerts.Payload(Alerts.Firing("NoRuleForThis")) : "{\"captureId\":\"" + CaptureId + "\"}";
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new("application/json") } };
            request.Content.Headers.ContentLength = Encoding.UTF8.GetByteCount(body);
            request.Headers.Authorization = new("Bearer", _bearer);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected.Status == response.StatusCode, $"{name}: {method} {expected.Path} answered {(int)response.StatusCode} {text}");
        Assert.Contains(expected.Says, text, StringComparison.Ordinal);
    }

    private async Task CheckTimerFunctionAsync(string name)
    {
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject { ["timer"] = new JsonObject { ["Schedule"] = new JsonObject { ["AdjustForDST"] = true }, ["IsPastDue"] = false } },
            ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = name, ["UtcNow"] = DateTime.UtcNow.ToString("O"), ["RandGuid"] = Guid.NewGuid().ToString() } },
        };
        using var content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync($"http://127.0.0.1:{_port}/{name}", content);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.IsType<JsonObject>(reply["Outputs"]);
        Assert.Contains("housekeeping: 0 captures re-dispatched", (string?)reply["Logs"]![0], StringComparison.Ordinal);
        Assert.True(reply.AsObject().ContainsKey("ReturnValue"));

        using var malformed = await _http.PostAsync($"http://127.0.0.1:{_port}/{name}", new StringContent("[1,2", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not JSON", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task StartHandlerAsync(string executable)
    {
        var rules = Path.Combine(_root, "rules.yaml");
        await File.WriteAllTextAsync(rules, "rules: []\n");
        _port = FreePort();
        var start = new ProcessStartInfo(executable) { WorkingDirectory = _package, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["AutoCapture__RulesFile"] = rules;
        start.Environment["AutoCapture__Store__Path"] = Path.Combine(_root, "store");
        start.Environment["AutoCapture__Sources__Alertmanager__BearerToken"] = _bearer;
        start.Environment["AutoCapture__Collector__SigningKey"] = TestEnvironment.Secret();
        start.Environment["AutoCapture__Links__SigningKey"] = TestEnvironment.Secret();
        start.Environment["AutoCapture__PublicBaseUrl"] = "https://autocapture.example.com";
        _handler = Process.Start(start)!;
        var output = new StringBuilder();
        _handler.OutputDataReceived += (_, e) => output.AppendLine(e.Data);
        _handler.ErrorDataReceived += (_, e) => output.AppendLine(e.Data);
        _handler.BeginOutputReadLine();
        _handler.BeginErrorReadLine();

        // The host waits for the handler to answer on its port before forwarding anything.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(_handler.HasExited, $"the handler exited: {output}");
            try
            {
                using var ready = await _http.GetAsync($"http://127.0.0.1:{_port}/");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> RunAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }
}
