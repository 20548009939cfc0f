using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>The webhook endpoint against bad input, duplicates and limits, with the real app and a real store folder.</summary>
public sealed class AlertEndpointTests : IAsyncLifetime
{
    // Port 9 (discard) on loopback: nothing listens, so dispatch fails fast and the outcome is still recorded.
    private const string Rules = """
        rules:
          - name: cpu-on-pod
            match:
              - alertname = "HighCPU"
            target:
              collector: "http://127.0.0.1:9"
              host: "{{ labels.pod }}"
              process:
                name: "{{ labels.service | default \"checkout\" }}"
            captures:
              - kind: cpu
                duration: 2s
              - stacks
        """;

    private readonly TestEnvironment _env = new();
    private RunningApp _webhook = null!;

    public async Task InitializeAsync() => _webhook = await _env.StartWebhookAsync(Rules, new() { ["AutoCapture:Sources:Alertmanager:Username"] = "am", ["AutoCapture:Sources:Alertmanager:Password"] = "pw-0123456789abcdef" });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private int CaptureFolderCount() =>
        Directory.Exists(Path.Combine(_env.StorePath, "captures")) ? Directory.GetFiles(Path.Combine(_env.StorePath, "captures"), "manifest.json", SearchOption.AllDirectories).Length : 0;

    [Fact]
    public async Task Missing_or_wrong_credentials_get_401_and_write_nothing()
    {
        var payload = Alerts.Payload(Alerts.Firing("HighCPU", ("pod", "p1")));

        using var wrong = await _env.PostAlertAsync(_webhook.Url, payload, bearer: "not-the-token");
        using var none = await _env.Http.PostAsync($"{_webhook.Url}/api/alerts/alertmanager", new StringContent(payload, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(0, CaptureFolderCount());
    }

    [Fact]
    public async Task Basic_auth_as_configured_in_alertmanager_http_config_is_accepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_webhook.Url}/api/alerts/alertmanager")
        {
            Content = new StringContent(Alerts.Payload(Alerts.Firing("Other")), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("am:pw-0123456789abcdef")));
        using var response = await _env.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("{ not json", 400, "not valid JSON")]
    [InlineData("""{"version":"3","alerts":[]}""", 400, "version \"3\" is not supported")]
    [InlineData("""{"version":"4"}""", 400, "alerts is required")]
    public async Task Malformed_payloads_get_400_naming_the_problem(string body, int status, string message)
    {
        using var response = await _env.PostAlertAsync(_webhook.Url, body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(message, (await JsonOf(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, CaptureFolderCount());
    }

    [Fact]
    public async Task Non_json_content_gets_415()
    {
        using var response = await _env.PostAlertAsync(_webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU")), contentType: "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", (await JsonOf(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bodies_over_one_mebibyte_get_413_whether_or_not_they_declare_a_length()
    {
        var huge = "{\"version\":\"4\",\"alerts\":[],\"pad\":\"" + new string('x', 1024 * 1024) + "\"}";
        using var declared = await _env.PostAlertAsync(_webhook.Url, huge);

        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, $"{_webhook.Url}/api/alerts/alertmanager")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))),
        };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        chunkedRequest.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunkedRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _env.BearerToken);
        using var chunked = await _env.Http.SendAsync(chunkedRequest);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(0, CaptureFolderCount());
    }

    [Fact]
    public async Task Unknown_sources_get_404()
    {
        using var response = await _env.Http.PostAsync($"{_webhook.Url}/api/alerts/nagios", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_answer_lists_per_alert_what_was_started_or_why_not()
    {
        var payload = Alerts.Payload(
            Alerts.Firing("HighCPU", ("pod", "p1")),
            Alerts.Firing("HighCPU", ("pod", "p2")) with { Status = "resolved" },
            Alerts.Firing("DiskFull", ("pod", "p3")));

        using var response = await _env.PostAlertAsync(_webhook.Url, payload);
        var answer = await JsonOf(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, answer.GetProperty("started").GetInt32());
        var alerts = answer.GetProperty("alerts");
        var started = alerts[0].GetProperty("captures")[0];
        Assert.Equal("started", started.GetProperty("result").GetString());
        Assert.True(CaptureIds.IsValid(started.GetProperty("captureId").GetString()));
        Assert.Equal("cpu-on-pod", started.GetProperty("rule").GetString());
        Assert.Equal("resolved alerts never capture", alerts[1].GetProperty("note").GetString());
        Assert.Equal(0, alerts[1].GetProperty("captures").GetArrayLength());
        Assert.Equal("no rule matched", alerts[2].GetProperty("note").GetString());
    }

    [Fact]
    public async Task Repeats_of_the_same_alert_instance_are_duplicates_and_start_nothing()
    {
        var alert = Alerts.Firing("HighCPU", ("pod", "p1")) with { Fingerprint = "f00dfeedf00dfeed", StartsAt = DateTimeOffset.UtcNow };
        var payload = Alerts.Payload(alert);

        using var first = await _env.PostAlertAsync(_webhook.Url, payload);
        var firstId = (await JsonOf(first)).GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString();
        var repeats = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _env.PostAlertAsync(_webhook.Url, payload)));

        // Once one repeat was decided, the next is answered from memory, with the bytes remembered: the same answer.
        using var remembered = await _env.PostAlertAsync(_webhook.Url, payload);
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var repeat in repeats.Append(remembered))
        {
            Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
            Assert.Equal("application/json", repeat.Content.Headers.ContentType?.MediaType);
            bodies.Add(await repeat.Content.ReadAsStringAsync());
            var capture = (await JsonOf(repeat)).GetProperty("alerts")[0].GetProperty("captures")[0];
            Assert.Equal("duplicate", capture.GetProperty("result").GetString());
            Assert.Equal($"duplicate of capture {firstId}", capture.GetProperty("reason").GetString());
            repeat.Dispose();
        }

        Assert.Single(bodies);
        Assert.Equal(1, CaptureFolderCount());
    }

    [Fact]
    public async Task A_new_alert_on_a_target_in_cooldown_is_skipped_with_the_reason_on_its_manifest()
    {
        using var first = await _env.PostAlertAsync(_webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("pod", "p9"))));
        using var second = await _env.PostAlertAsync(_webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("pod", "p9"))));
        var capture = (await JsonOf(second)).GetProperty("alerts")[0].GetProperty("captures")[0];
        var id = capture.GetProperty("captureId").GetString()!;

        Assert.Equal("skipped", capture.GetProperty("result").GetString());
        Assert.Contains("cooldown on name=checkout on p9 until", capture.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var manifest = await _env.Manifests.ReadAsync(id, CancellationToken.None);
        Assert.Equal(CaptureStatus.Skipped, manifest!.Status);
        Assert.Contains("cpu skipped: cooldown", manifest.SkipReason, StringComparison.Ordinal);
        Assert.Contains("stacks skipped: cooldown", manifest.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_collector_fails_the_capture_with_the_reason_in_words()
    {
        using var response = await _env.PostAlertAsync(_webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("pod", "unreachable"))));
        var id = (await JsonOf(response)).GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;

        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, manifest.Status);
        Assert.Contains("collector at 127.0.0.1:9 unreachable", manifest.Error, StringComparison.Ordinal);
        Assert.Equal(1, manifest.DispatchAttempts);
        Assert.NotNull(manifest.NotifiedAt);
    }

    [Fact]
    public async Task A_large_delivery_cut_off_by_its_sender_then_delivered_again_starts_no_more_than_the_limits_allow()
    {
        // 1,000 alerts of one group, each on its own target: the storm limit (3 targets per group) binds.
        var alerts = Enumerable.Range(0, 1000).Select(i => Alerts.Firing("HighCPU", ("pod", $"cut-{i}"), ("service", $"svc-{i}"))).ToArray();
        var payload = Alerts.Payload(alerts);
        using (var cut = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{_webhook.Url}/api/alerts/alertmanager")
            {
                Content = new CutAfterSendingContent(Encoding.UTF8.GetBytes(payload), cut),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _env.BearerToken);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _env.Http.SendAsync(request, cut.Token));
        }

        // Alertmanager delivers what got no answer again; then housekeeping runs to completion.
        using var again = await _env.PostAlertAsync(_webhook.Url, payload);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await _webhook.App.Services.GetRequiredService<AutoCapture.Functions.Maintenance.Housekeeping>().RunAsync(CancellationToken.None);

        var running = Directory.GetFiles(Path.Combine(_env.StorePath, "captures"), "manifest.json", SearchOption.AllDirectories)
            .Select(f => JsonSerializer.Deserialize<CaptureManifest>(File.ReadAllText(f), AutoCapture.Core.Json.AutoCaptureJson.Options)!)
            .Where(m => m.Status != CaptureStatus.Skipped)
            .ToList();
        Assert.Equal(3, running.Count);
        var answer = (await JsonOf(again)).GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("captures")[0].GetProperty("result").GetString()).ToList();
        Assert.Equal(3, answer.Count(r => r is "started" or "duplicate"));
        Assert.Equal(997, answer.Count(r => r == "skipped"));
    }

    /// <summary>Sends the body, then cancels the request before any answer can arrive: a sender giving up mid-request.</summary>
    private sealed class CutAfterSendingContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly CancellationTokenSource _cut;

        public CutAfterSendingContent(byte[] body, CancellationTokenSource cut)
        {
            (_body, _cut) = (body, cut);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(_body);
            await stream.FlushAsync();
            await _cut.CancelAsync();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }

    [Fact]
    public async Task Health_and_readiness_answer()
    {
        using var health = await _env.Http.GetAsync($"{_webhook.Url}/healthz");
        using var root = await _env.Http.GetAsync($"{_webhook.Url}/");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", (await JsonOf(health)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
    }
}
