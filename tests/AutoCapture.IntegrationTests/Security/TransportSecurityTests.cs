using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>Key rotation, TLS to the collector, the collector allowlist on the webhook side, and per-source throttling.</summary>
public sealed class TransportSecurityTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static string Rules(string collector) => $$$"""
        rules:
          - name: any
            match: ['alertname = "HighCPU"']
            target: { collector: "{{{collector}}}", host: "{{ labels.pod }}", process: { name: "nobody-{{ labels.pod }}" } }
            captures: [stacks]
        """;

    private async Task<CaptureManifest> FireAndWaitAsync(RunningApp webhook, string pod)
    {
        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("pod", pod))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;
        return await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task During_a_key_rotation_both_keys_work_in_both_directions_and_a_retired_key_is_refused()
    {
        var oldKey = TestEnvironment.Secret();
        var newKey = TestEnvironment.Secret();
        // The collector was rotated first: its current key is new, the old one still accepted.
        var collector = await _env.StartCollectorAsync(new()
        {
            ["AutoCapture:Collector:KeyId"] = "k2",
            ["AutoCapture:Collector:SigningKey"] = newKey,
            ["AutoCapture:Collector:PreviousKeyId"] = "k1",
            ["AutoCapture:Collector:PreviousSigningKey"] = oldKey,
        });
        // The webhook app still signs with the old key, and accepts the new one on callbacks.
        var webhook = await _env.StartWebhookAsync(Rules(collector.Url), new()
        {
            ["AutoCapture:Collector:KeyId"] = "k1",
            ["AutoCapture:Collector:SigningKey"] = oldKey,
            ["AutoCapture:Collector:PreviousKeyId"] = "k2",
            ["AutoCapture:Collector:PreviousSigningKey"] = newKey,
        });

        var midRotation = await FireAndWaitAsync(webhook, "web-1");

        // The request reached the collector (signed with k1) and its result came back (signed with k2).
        Assert.Equal(CaptureStatus.Failed, midRotation.Status);
        Assert.Contains("not found", midRotation.Error, StringComparison.OrdinalIgnoreCase);

        var retired = await _env.StartCollectorAsync(new()
        {
            ["AutoCapture:Collector:KeyId"] = "k2",
            ["AutoCapture:Collector:SigningKey"] = newKey,
            ["AutoCapture:Collector:PreviousKeyId"] = "k1",
            ["AutoCapture:Collector:PreviousSigningKey"] = oldKey,
            ["AutoCapture:Collector:PreviousKeyNotAfter"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"),
        });
        var lateWebhook = await _env.StartWebhookAsync(Rules(retired.Url), new()
        {
            ["AutoCapture:Collector:KeyId"] = "k1",
            ["AutoCapture:Collector:SigningKey"] = oldKey,
            ["AutoCapture:Collector:MaxAttempts"] = "1",
        });

        var afterWindow = await FireAndWaitAsync(lateWebhook, "web-2");

        Assert.Equal(CaptureStatus.Failed, afterWindow.Status);
        Assert.EndsWith("answered 401: the signature was refused (signing keys or clocks differ)", afterWindow.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_on_https_is_reached_when_its_certificate_is_trusted_and_refused_otherwise()
    {
        var (certificate, key) = SelfSignedCertificate.Write(_env.Root);
        var collector = await _env.StartCollectorAsync(new()
        {
            ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Https:Certificate:Path"] = certificate,
            ["Kestrel:Endpoints:Https:Certificate:KeyPath"] = key,
        });
        Assert.StartsWith("https://", collector.Url, StringComparison.Ordinal);
        var trusting = await _env.StartWebhookAsync(Rules(collector.Url), new() { ["AutoCapture:Collector:TrustedCertificate"] = certificate });
        var untrusting = await _env.StartWebhookAsync(Rules(collector.Url), new() { ["AutoCapture:Collector:MaxAttempts"] = "1" });

        var overTls = await FireAndWaitAsync(trusting, "web-1");
        var refused = await FireAndWaitAsync(untrusting, "web-2");

        Assert.Contains("not found", overTls.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("unreachable", refused.Error, StringComparison.Ordinal);
        Assert.Contains("the TLS connection failed", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collector_addresses_outside_the_allowlist_are_refused_before_anything_is_sent()
    {
        var webhook = await _env.StartWebhookAsync(
            "rules:\n  - name: any\n    match: ['alertname = \"HighCPU\"']\n    target: { collector: \"http://{{ labels.node }}:7080\", process: { name: checkout } }\n    captures: [stacks]\n",
            new() { ["AutoCapture:Collector:AllowedCollectors:0"] = "10.1.0.0/16:7080", ["AutoCapture:Collector:AllowedCollectors:1"] = "collector.internal" });

        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(
            Alerts.Firing("HighCPU", ("node", "169.254.169.254")),
            Alerts.Firing("HighCPU", ("node", "10.1.2.3"))));
        var alerts = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts");

        Assert.Equal("rule any: collector 169.254.169.254:7080 is a link-local or cloud metadata address; only an AutoCapture:Collector:AllowedCollectors entry naming it allows it", alerts[0].GetProperty("note").GetString());
        Assert.Equal(0, alerts[0].GetProperty("captures").GetArrayLength());
        Assert.Equal("started", alerts[1].GetProperty("captures")[0].GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_flooding_source_is_throttled_with_429_and_retry_after_while_others_are_not()
    {
        var webhook = await _env.StartWebhookAsync("rules: []", new()
        {
            ["AutoCapture:Sources:Alertmanager:MaxRequestsPerSecond"] = "1",
            ["AutoCapture:Sources:Alertmanager:Burst"] = "3",
            ["AutoCapture:Sources:Grafana:BearerToken"] = _env.BearerToken,
        });
        var payload = Alerts.Payload(Alerts.Firing("Nothing"));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await _env.PostAlertAsync(webhook.Url, payload));
        }

        using var grafana = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/alerts/grafana")
        {
            Content = new StringContent("""{"version":"1","alerts":[]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        grafana.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _env.BearerToken);
        using var other = await _env.Http.SendAsync(grafana);

        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.Accepted) is >= 3 and <= 5);
        var throttled = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(throttled);
        Assert.All(throttled, a => Assert.Equal(TimeSpan.FromSeconds(1), a.Headers.RetryAfter?.Delta));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        answers.ForEach(a => a.Dispose());
    }
}
