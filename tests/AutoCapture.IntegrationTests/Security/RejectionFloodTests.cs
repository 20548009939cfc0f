using System.Net;
using System.Text;
using AutoCapture.Core.Hosting;
using AutoCapture.IntegrationTests.Support;
using AutoCapture.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Issue 12, item 2: unauthenticated floods neither spend a real sender's budget nor write a log line each, on the
/// webhook app and on the collector.
/// </summary>
public sealed class RejectionFloodTests : IAsyncLifetime
{
    private const int Flood = 200;
    private readonly TestEnvironment _env = new();
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private Dictionary<string, string?> LogTo(string file) => new()
    {
        ["Serilog:Using:0"] = "Serilog.Sinks.File",
        ["Serilog:WriteTo:0:Name"] = "File",
        ["Serilog:WriteTo:0:Args:path"] = file,
    };

    /// <summary>The lines so far; the app still holds the file open for writing.</summary>
    private static List<string> LinesWith(string file, string text)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal))];
    }

    [Fact]
    public async Task Wrong_credentials_do_not_spend_the_budget_of_the_sender_that_has_the_right_ones()
    {
        // The throttle is set for the test: two deliveries deep, refilled at one a second.
        var webhook = await _env.StartWebhookAsync("rules: []", new()
        {
            ["AutoCapture:Sources:Alertmanager:MaxRequestsPerSecond"] = "1",
            ["AutoCapture:Sources:Alertmanager:Burst"] = "2",
        });
        var payload = Alerts.Payload(Alerts.Firing("Real"));

        var flood = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var wrong = await _env.PostAlertAsync(webhook.Url, payload, bearer: TestEnvironment.Secret());
            flood.Add(wrong.StatusCode);
        }

        using var first = await _env.PostAlertAsync(webhook.Url, payload);
        using var second = await _env.PostAlertAsync(webhook.Url, payload);

        Assert.All(flood, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_flood_on_the_webhook_app_writes_one_line_per_window_with_the_count()
    {
        var log = Path.Combine(_env.Root, $"webhook-{Guid.NewGuid():N}.log");
        var webhook = await _env.StartWebhookAsync("rules: []", LogTo(log), b => b.Services.AddSingleton<TimeProvider>(_clock));
        var payload = Alerts.Payload(Alerts.Firing("Probe"));

        for (var i = 0; i < Flood; i++)
        {
            using var wrong = await _env.PostAlertAsync(webhook.Url, payload, bearer: TestEnvironment.Secret());
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var duringWindow = LinesWith(log, "Rejected a alertmanager webhook");
        _clock.Advance(RejectionLog.Window);
        using (await _env.PostAlertAsync(webhook.Url, payload, bearer: TestEnvironment.Secret()))
        {
        }

        var lines = LinesWith(log, "Rejected a alertmanager webhook");
        Assert.Single(duringWindow);
        Assert.Equal(2, lines.Count);
        Assert.Contains($"({Flood - 1} more rejected since the last such line)", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsigned_flood_on_the_collector_writes_one_line_per_window_with_the_count()
    {
        var log = Path.Combine(_env.Root, $"collector-{Guid.NewGuid():N}.log");
        var collector = await _env.StartCollectorAsync(LogTo(log), b => b.Services.AddSingleton<TimeProvider>(_clock));

        async Task<HttpStatusCode> PostUnsignedAsync()
        {
            using var content = new StringContent("""{"captureId":"x"}""", Encoding.UTF8, "application/json");
            using var response = await _env.Http.PostAsync($"{collector.Url}/v1/captures", content);
            return response.StatusCode;
        }

        for (var i = 0; i < Flood; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await PostUnsignedAsync());
        }

        var duringWindow = LinesWith(log, "Refused a capture request from");
        _clock.Advance(RejectionLog.Window);
        Assert.Equal(HttpStatusCode.Unauthorized, await PostUnsignedAsync());

        var lines = LinesWith(log, "Refused a capture request from");
        Assert.Single(duringWindow);
        Assert.Equal(2, lines.Count);
        Assert.Contains($"({Flood - 1} more refused from there since the last such line)", lines[1], StringComparison.Ordinal);
    }
}
