using System.Net;
using System.Text;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Hosting;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// A delivery the app stops in the middle of, before anything was decided, is answered 503 so the sender delivers it
/// again; never a 500 and an error log with a stack trace for what is an ordinary shutdown.
/// </summary>
public sealed class StoppingTests : IAsyncDisposable
{
    private readonly TestEnvironment _env = new();

    public ValueTask DisposeAsync() => _env.DisposeAsync();

    [Fact]
    public async Task A_delivery_cut_short_by_the_app_stopping_before_its_first_write_is_answered_503()
    {
        var store = new HeldReadsStore(new FolderStore(_env.StorePath));
        var rules = Path.Combine(_env.Root, "rules.yaml");
        await File.WriteAllTextAsync(rules, """
            rules:
              - name: stopping
                match: [ 'alertname = "Stopping"' ]
                target: { collector: "http://127.0.0.1:9", process: { name: app } }
                captures: [ stacks ]
            """);
        var settings = _env.BaseSettings();
        settings["AutoCapture:RulesFile"] = rules;
        await using var app = WebhookApp.Create(
            ["--urls", "http://127.0.0.1:0"],
            b => b.Configuration.AddInMemoryCollection(settings),
            services => services.AddSingleton<IArtifactStore>(store));
        await app.StartAsync();
        var alert = $$"""
            {"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Stopping","pod":"p-1"},
             "annotations":{},"startsAt":"{{DateTimeOffset.UtcNow:O}}","fingerprint":"f{{Guid.NewGuid():N}}"}]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{app.Urls.First()}/api/alerts/alertmanager")
        {
            Content = new StringContent(alert, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", _env.BearerToken);

        var answer = _env.Http.SendAsync(request);
        await store.ReadHeld.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = app.StopAsync();
        using var response = await answer;
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("stopping", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(Path.Combine(_env.StorePath, "captures")) ? Directory.GetFiles(Path.Combine(_env.StorePath, "captures"), "*", SearchOption.AllDirectories) : []);
    }

    /// <summary>Holds every read of a limit document (admission's first step) until its caller gives up (the app stopping).</summary>
    private sealed class HeldReadsStore(IArtifactStore inner) : IArtifactStore
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ReadHeld => _held.Task;

        public string Description => inner.Description;

        public async Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            if (!key.StartsWith(Functions.Admission.CaptureLimits.Prefix, StringComparison.Ordinal))
            {
                return await inner.OpenReadAsync(key, cancellationToken);
            }

            _held.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return null;
        }

        public Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken) =>
            inner.WriteAsync(key, content, condition, cancellationToken);

        public IAsyncEnumerable<StoreItem> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
