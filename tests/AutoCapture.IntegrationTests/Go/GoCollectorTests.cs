using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Go;

/// <summary>The collector daemon capturing a Go target by address: allowlisted addresses only, results in the store.</summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class GoCollectorTests : IAsyncLifetime
{
    private readonly TestEnvironment env = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await env.DisposeAsync();

    [Fact]
    public async Task An_allowlisted_go_address_is_captured_and_summarised_into_the_store()
    {
        using var target = await GoTargetProcess.StartAsync("-leak", "40", "-orders", "5000");
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = $"127.0.0.0/8:{target.Pprof.Port}" });
        var request = new CaptureRequest(CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Runtimes.Go, Address: $"{target.PprofAddress}/anything"),
            [new CaptureSpec(CaptureKinds.Goroutines), new CaptureSpec(CaptureKinds.Heap), new CaptureSpec(CaptureKinds.Mutex)], null);

        using var response = await SendAsync(collector, request);
        await TestEnvironment.WaitForCollectorIdleAsync(collector);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = (await env.Manifests.Store.ReadAsync<CaptureResult>(CaptureIds.ResultKey(request.CaptureId), CancellationToken.None))!.Value.Value;
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(new ResolvedProcess(0, $"127.0.0.1:{target.Pprof.Port}", null, target.PprofAddress), result.Process);
        Assert.Equal((40, "main.startLeak"), (result.Summary.Goroutines!.Groups[0].Count, result.Summary.Goroutines.Groups[0].CreatedBy));
        Assert.Equal("main.newPlantedLeakedOrder", result.Summary.Heap!.Top[0].Name);
        Assert.Equal(new[] { "goroutines", "heap", "mutex" }, result.Summary.Profiles!.Keys.Order());
        Assert.Equal(new[] { "goroutines.pb.gz", "goroutines.txt", "heap.pb.gz", "mutex.pb.gz", "summary.json" }, result.Artifacts.Select(a => a.Name).Order());
        foreach (var artifact in result.Artifacts)
        {
            Assert.True(File.Exists(Path.Combine(env.StorePath, CaptureIds.ArtifactKey(request.CaptureId, artifact.Name))), artifact.Name);
        }
    }

    [Fact]
    public async Task An_address_outside_the_allowlist_is_refused_without_being_contacted()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var collector = await env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedAddresses:0"] = "10.0.0.0/8:6060" });
        var request = new CaptureRequest(CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Runtimes.Go, Address: $"http://127.0.0.1:{port}"), [new CaptureSpec(CaptureKinds.Heap)], null);

        using var response = await SendAsync(collector, request);
        await TestEnvironment.WaitForCollectorIdleAsync(collector);

        var result = (await env.Manifests.Store.ReadAsync<CaptureResult>(CaptureIds.ResultKey(request.CaptureId), CancellationToken.None))!.Value.Value;
        Assert.False(result.Succeeded);
        Assert.Equal($"refused: address http://127.0.0.1:{port} is not in this collector's allowlist (AutoCapture:Collector:AllowedAddresses)", result.Error);
        Assert.False(listener.Pending(), "the collector connected to an address it was not allowed to");
    }

    private async Task<HttpResponseMessage> SendAsync(RunningApp collector, CaptureRequest capture)
    {
        var body = AutoCaptureJson.Serialize(capture);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{collector.Url}/v1/captures")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        RequestSigning.Sign(request, new SigningKey("default", env.CollectorKey), body, DateTimeOffset.UtcNow);

        return await env.Http.SendAsync(request);
    }
}
