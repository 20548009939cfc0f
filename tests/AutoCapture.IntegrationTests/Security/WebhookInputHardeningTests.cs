using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.Options;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// The webhook app against a sender that replays, lies about time or is configured weakly: a Grafana signature works
/// once, a start time far from now is a 400, a short basic password stops start-up.
/// </summary>
public sealed class WebhookInputHardeningTests : IAsyncLifetime
{
    private const string Rules = """
        rules:
          - name: any
            match: ['alertname =~ ".+"']
            target: { collector: "http://127.0.0.1:9", host: web, process: { name: checkout } }
            captures: [stacks]
        """;

    private readonly TestEnvironment _env = new();
    private readonly string _hmacSecret = TestEnvironment.Secret();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static string GrafanaPayload(string pod) => $$"""
        {"version":"1","alerts":[{"status":"firing","labels":{"alertname":"Latency","pod":"{{pod}}"},"startsAt":"{{DateTimeOffset.UtcNow:O}}"}]}
        """;

    private async Task<HttpResponseMessage> PostGrafanaAsync(RunningApp webhook, string body, string? timestamp)
    {
        var signed = timestamp is null ? body : $"{timestamp}:{body}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/alerts/grafana") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Grafana-Alerting-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_hmacSecret), Encoding.UTF8.GetBytes(signed))));
        if (timestamp is not null)
        {
            request.Headers.Add("X-Grafana-Alerting-Signature-Timestamp", timestamp);
        }

        return await _env.Http.SendAsync(request);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_grafana_signature_works_once(bool withTimestamp)
    {
        var webhook = await _env.StartWebhookAsync(Rules, new()
        {
            ["AutoCapture:Sources:Grafana:HmacSecret"] = _hmacSecret,
            ["AutoCapture:Sources:Grafana:HmacTimestampHeader"] = withTimestamp ? "X-Grafana-Alerting-Signature-Timestamp" : null,
        });
        var timestamp = withTimestamp ? DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) : null;
        var body = GrafanaPayload("p1");

        using var first = await PostGrafanaAsync(webhook, body, timestamp);
        using var replay = await PostGrafanaAsync(webhook, body, timestamp);
        using var another = await PostGrafanaAsync(webhook, GrafanaPayload("p2"), timestamp);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, another.StatusCode);
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2000-01-01T00:00:00Z")]
    public async Task A_start_time_far_from_now_is_a_400_naming_the_field(string startsAt)
    {
        var webhook = await _env.StartWebhookAsync(Rules);
        var body = $$"""{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"A"},"startsAt":"{{DateTimeOffset.UtcNow:O}}"},{"status":"firing","labels":{"alertname":"B"},"startsAt":"{{startsAt}}"}]}""";

        using var response = await _env.PostAlertAsync(webhook.Url, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"alerts[1].startsAt {startsAt} is not within 730 days before and 1 day after now", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(Path.Combine(_env.StorePath, "captures")) ? Directory.GetDirectories(Path.Combine(_env.StorePath, "captures")) : []);
    }

    [Fact]
    public async Task A_short_basic_password_stops_start_up_without_echoing_it()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => _env.StartWebhookAsync(Rules, new()
        {
            ["AutoCapture:Sources:Alertmanager:Username"] = "am",
            ["AutoCapture:Sources:Alertmanager:Password"] = "pw-123",
        }));

        var message = string.Join("\n", error.Failures);
        Assert.Contains("AutoCapture:Sources:Alertmanager:Password must be at least 16 characters", message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-123", message, StringComparison.Ordinal);
    }
}
