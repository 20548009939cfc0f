using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>Each source authenticates the way its sender can: Grafana's HMAC signature, Azure Monitor's query secret.</summary>
public sealed class SourceAuthenticationTests : IAsyncLifetime
{
    private const string Rules = """
        rules:
          - name: any
            match: ['alertname =~ ".+"']
            target:
              collector: "http://127.0.0.1:9"
              host: "{{ labels.instance | host | default \"unknown\" }}"
              process: { name: checkout }
            captures: [stacks]
        """;

    private readonly TestEnvironment _env = new();
    private readonly string _hmacSecret = TestEnvironment.Secret();
    private readonly string _querySecret = TestEnvironment.Secret();
    private RunningApp _webhook = null!;

    public async Task InitializeAsync() => _webhook = await _env.StartWebhookAsync(Rules, new()
    {
        ["AutoCapture:Sources:Grafana:HmacSecret"] = _hmacSecret,
        ["AutoCapture:Sources:Grafana:HmacTimestampHeader"] = "X-Grafana-Alerting-Signature-Timestamp",
        ["AutoCapture:Sources:AzureMonitor:QuerySecret"] = _querySecret,
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static string GrafanaPayload() => $$"""
        {"receiver":"autocapture","status":"firing","orgId":1,"version":"1","groupKey":"{}:{alertname=\"Latency\"}",
         "alerts":[{"status":"firing","labels":{"alertname":"Latency","instance":"web-3:8080"},"annotations":{},
         "startsAt":"{{DateTimeOffset.UtcNow:O}}","endsAt":"0001-01-01T00:00:00Z"}]}
        """;

    private async Task<HttpResponseMessage> PostGrafanaAsync(string body, string? signature, string? timestamp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_webhook.Url}/api/alerts/grafana") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.Add("X-Grafana-Alerting-Signature", signature);
        }

        if (timestamp is not null)
        {
            request.Headers.Add("X-Grafana-Alerting-Signature-Timestamp", timestamp);
        }

        return await _env.Http.SendAsync(request);
    }

    private string Sign(string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_hmacSecret), Encoding.UTF8.GetBytes($"{timestamp}:{body}")));

    [Fact]
    public async Task Grafana_requests_with_a_valid_fresh_signature_are_accepted()
    {
        var body = GrafanaPayload();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        using var response = await PostGrafanaAsync(body, Sign(timestamp, body), timestamp);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("started", answer.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("result").GetString());
    }

    [Fact]
    public async Task Grafana_requests_that_are_unsigned_tampered_or_stale_get_401()
    {
        var body = GrafanaPayload();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var stale = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        using var unsigned = await PostGrafanaAsync(body, null, now);
        using var tampered = await PostGrafanaAsync(body.Replace("web-3", "web-4", StringComparison.Ordinal), Sign(now, body), now);
        using var oldSignature = await PostGrafanaAsync(body, Sign(stale, body), stale);
        using var noTimestamp = await PostGrafanaAsync(body, Sign(now, body), null);

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldSignature.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noTimestamp.StatusCode);
    }

    [Fact]
    public async Task Azure_monitor_requests_need_the_query_secret()
    {
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Support", "azure-prometheus.json"))
            .Replace("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", Guid.NewGuid().ToString(), StringComparison.Ordinal);

        using var right = await _env.Http.PostAsync($"{_webhook.Url}/api/alerts/azuremonitor?token={_querySecret}", new StringContent(body, Encoding.UTF8, "application/json"));
        using var wrong = await _env.Http.PostAsync($"{_webhook.Url}/api/alerts/azuremonitor?token=nope", new StringContent(body, Encoding.UTF8, "application/json"));
        using var missing = await _env.Http.PostAsync($"{_webhook.Url}/api/alerts/azuremonitor", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, right.StatusCode);
        var capture = JsonDocument.Parse(await right.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0];
        Assert.Equal("name=checkout on 10.1.2.3", capture.GetProperty("target").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task A_source_without_credentials_is_disabled()
    {
        var server = await _env.StartWebhookAsync(Rules, new() { ["AutoCapture:Sources:Grafana:HmacSecret"] = null });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{server.Url}/api/alerts/grafana") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _env.BearerToken);

        using var response = await _env.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not enabled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
