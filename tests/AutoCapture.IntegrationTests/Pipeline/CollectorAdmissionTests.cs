using System.Net;
using System.Net.Http.Headers;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>The collector protects its host whatever the webhook side asks: one CPU session per process, few traces at once.</summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class CollectorAdmissionTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private RunningApp _collector = null!;

    public async Task InitializeAsync() => _collector = await _env.StartCollectorAsync(new()
    {
        ["AutoCapture:Collector:AllowedProcesses:0:Name"] = TestTargetProcess.Name,
        ["AutoCapture:Collector:MaxConcurrentTraces"] = "2",
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private async Task<HttpResponseMessage> RequestAsync(ProcessSelector process, string kind, string? captureId = null)
    {
        var body = AutoCaptureJson.Serialize(new CaptureRequest(captureId ?? CaptureIds.NewRandom(DateTimeOffset.UtcNow), process, [new CaptureSpec(kind, CaptureKinds.IsTimed(kind) ? 3 : null)], null));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_collector.Url}/v1/captures")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        RequestSigning.Sign(request, new SigningKey("default", _env.CollectorKey), body, DateTimeOffset.UtcNow);
        return await _env.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_second_cpu_capture_of_the_same_process_and_traces_beyond_the_cap_get_409()
    {
        using var first = await TestTargetProcess.StartAsync("cpu");
        using var second = await TestTargetProcess.StartAsync("idle");
        using var third = await TestTargetProcess.StartAsync("idle");

        using var accepted = await RequestAsync(new ProcessSelector(Pid: first.Pid), CaptureKinds.Cpu);
        using var sameProcess = await RequestAsync(new ProcessSelector(Pid: first.Pid), CaptureKinds.Cpu);
        using var stacksMeanwhile = await RequestAsync(new ProcessSelector(Pid: first.Pid), CaptureKinds.Stacks);
        using var otherProcess = await RequestAsync(new ProcessSelector(Pid: second.Pid), CaptureKinds.Cpu);
        using var overCap = await RequestAsync(new ProcessSelector(Pid: third.Pid), CaptureKinds.Cpu);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, sameProcess.StatusCode);
        Assert.Contains($"already running on pid={first.Pid}", await sameProcess.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, stacksMeanwhile.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, otherProcess.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, overCap.StatusCode);
        Assert.Contains("2 traces are already running", await overCap.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await TestEnvironment.WaitForCollectorIdleAsync(_collector);
        using var afterwards = await RequestAsync(new ProcessSelector(Pid: first.Pid), CaptureKinds.Stacks);
        Assert.Equal(HttpStatusCode.Accepted, afterwards.StatusCode);
        await TestEnvironment.WaitForCollectorIdleAsync(_collector);
    }

    [Fact]
    public async Task A_capture_asked_for_again_while_it_runs_is_accepted_without_a_second_run()
    {
        using var target = await TestTargetProcess.StartAsync("cpu");
        var id = CaptureIds.NewRandom(DateTimeOffset.UtcNow);

        using var first = await RequestAsync(new ProcessSelector(Pid: target.Pid), CaptureKinds.Cpu, id);
        using var again = await RequestAsync(new ProcessSelector(Pid: target.Pid), CaptureKinds.Cpu, id);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Contains("\"accepted\"", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Not 409 "busy": the webhook side asks again when it could not tell whether its first request arrived.
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Contains("\"already running\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await TestEnvironment.WaitForCollectorIdleAsync(_collector);
    }
}
