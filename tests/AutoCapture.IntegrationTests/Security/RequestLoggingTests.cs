using System.Net;
using System.Text;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Both processes log one line per request, logging everything they can to a file: secrets that travel in query
/// strings — a function key (<c>code</c>), the Azure Monitor secret and link tokens (<c>token</c>), a SAS
/// signature (<c>sig</c>) — never appear; the parameters' names do, with masked values.
/// </summary>
public sealed class RequestLoggingTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _logs = Directory.CreateTempSubdirectory("autocapture-request-logs-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        Directory.Delete(_logs, recursive: true);
    }

    [Fact]
    public async Task Requests_are_logged_with_every_query_value_masked()
    {
        var querySecret = TestEnvironment.Secret();
        var functionKey = TestEnvironment.Secret();
        var signature = TestEnvironment.Secret();
        var linkToken = TestEnvironment.Secret();
        var collector = await _env.StartCollectorAsync(TestEnvironment.VerboseLogTo(Path.Combine(_logs, "collector.log")));
        var settings = TestEnvironment.VerboseLogTo(Path.Combine(_logs, "webhook.log"));
        settings["AutoCapture:Sources:AzureMonitor:QuerySecret"] = querySecret;
        var webhook = await _env.StartWebhookAsync(TestEnvironment.RulesMatchingNothing, settings);

        var azure = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Support", "azure-prometheus.json"));
        using (var accepted = await _env.Http.PostAsync($"{webhook.Url}/api/alerts/azuremonitor?code={functionKey}&token={querySecret}", new StringContent(azure, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        (await _env.Http.GetAsync($"{webhook.Url}/api/captures/nope/artifacts/x?sig={signature}&token={linkToken}")).Dispose();
        (await _env.Http.GetAsync($"{collector.Url}/healthz?code={functionKey}&%0Aforged=1")).Dispose();
        await _env.DisposeAsync();

        var webhookLog = await File.ReadAllTextAsync(Path.Combine(_logs, "webhook.log"));
        var collectorLog = await File.ReadAllTextAsync(Path.Combine(_logs, "collector.log"));
        var accepted202 = Assert.Single(webhookLog.Split('\n'), l => l.Contains("/api/alerts/azuremonitor", StringComparison.Ordinal) && l.Contains("answered 202", StringComparison.Ordinal));
        Assert.Contains("?code=***&token=***", accepted202, StringComparison.Ordinal);
        Assert.Contains("[INF]", accepted202, StringComparison.Ordinal);
        Assert.Contains(webhookLog.Split('\n'), l => l.Contains("/api/captures/nope/artifacts/x", StringComparison.Ordinal) && l.Contains("?sig=***&token=***", StringComparison.Ordinal));
        // A name with a line break stays on its line.
        Assert.Contains(collectorLog.Split('\n'), l => l.Contains("/healthz", StringComparison.Ordinal) && l.Contains("?code=***&?forged=***", StringComparison.Ordinal));
        foreach (var secret in new[] { querySecret, functionKey, signature, linkToken })
        {
            Assert.DoesNotContain(secret, webhookLog + collectorLog, StringComparison.Ordinal);
        }
    }
}
