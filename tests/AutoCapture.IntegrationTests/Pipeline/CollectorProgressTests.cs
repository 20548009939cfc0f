using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// A capture does not wait for the webhook app to record its progress: the chat message waits for the capture, and
/// a slow progress answer must not add to it. The reports still arrive in order, and the completion after them.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class CollectorProgressTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private WebApplication? _webhook;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_webhook is not null)
        {
            await _webhook.DisposeAsync();
        }

        await _env.DisposeAsync();
    }

    [Fact]
    public async Task The_capture_runs_to_its_end_while_its_running_report_is_unanswered_and_completion_comes_last()
    {
        var tag = $"tag-progress-{Guid.NewGuid():N}";
        using var target = await TestTargetProcess.StartAsync("idle", tag);
        // Frozen: the collector's three-second limit on a progress report never runs out, so a capture that waited
        // for the report would wait until the test gives up.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var collector = await _env.StartCollectorAsync(
            new() { ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = tag },
            b => b.Services.AddSingleton<TimeProvider>(clock));

        var captureId = CaptureIds.NewRandom(clock.GetUtcNow());
        var resultFile = Path.Combine(_env.StorePath, CaptureIds.ResultKey(captureId));
        var received = new ConcurrentQueue<string>();
        var runningHeldUntilResult = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _webhook = builder.Build();
        _webhook.MapPost("/api/captures/{id}/progress", async (HttpRequest request) =>
        {
            var state = JsonDocument.Parse(await new StreamReader(request.Body).ReadToEndAsync()).RootElement.GetProperty("state").GetString()!;
            received.Enqueue(state);
            if (state == "running")
            {
                // Answered only once the capture's result is in the store: the capture must get there on its own.
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (!File.Exists(resultFile) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }

                runningHeldUntilResult.SetResult(File.Exists(resultFile));
            }

            return Results.Ok();
        });
        _webhook.MapPost("/api/captures/{id}/complete", () =>
        {
            received.Enqueue("complete");
            completed.TrySetResult();
            return Results.Ok();
        });
        await _webhook.StartAsync();
        var webhookUrl = _webhook.Urls.First();

        var request = new CaptureRequest(captureId, new ProcessSelector(CommandLine: tag), [new CaptureSpec(CaptureKinds.Stacks)], $"{webhookUrl}/api/captures/{captureId}/complete", $"{webhookUrl}/api/captures/{captureId}/progress");
        var body = AutoCaptureJson.Serialize(request);
        using var post = new HttpRequestMessage(HttpMethod.Post, $"{collector.Url}/v1/captures")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        foreach (var (name, value) in RequestSigning.Sign(new SigningKey("default", _env.CollectorKey), "POST", RequestSigning.AudienceOf(new Uri(collector.Url)), "/v1/captures", body, clock.GetUtcNow()))
        {
            post.Headers.TryAddWithoutValidation(name, value);
        }

        using var answer = await _env.Http.SendAsync(post);
        Assert.True(answer.StatusCode == HttpStatusCode.Accepted, await answer.Content.ReadAsStringAsync());

        Assert.True(await runningHeldUntilResult.Task.WaitAsync(TimeSpan.FromSeconds(90)), "the capture waited for its running report instead of running");
        await completed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(["running", "uploading", "complete"], received.ToArray());
    }
}
