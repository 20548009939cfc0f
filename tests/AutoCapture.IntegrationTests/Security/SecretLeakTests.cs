using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Runs every path that handles a secret — right and wrong credentials for each source, signed collector traffic
/// with current, previous and wrong keys, signed links, a chat webhook that fails — with both processes logging
/// everything they can (Verbose, every category) to files, then greps the logs for every configured secret.
/// </summary>
public sealed class SecretLeakTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _username = "am-" + TestEnvironment.Secret();
    private readonly string _password = TestEnvironment.Secret();
    private readonly string _secretAsScheme = TestEnvironment.Secret();
    private readonly string _hmac = TestEnvironment.Secret();
    private readonly string _query = TestEnvironment.Secret();
    private readonly string _previousKey = TestEnvironment.Secret();
    private readonly string _readToken = TestEnvironment.Secret();
    private readonly string _writeToken = TestEnvironment.Secret();
    private readonly string _slackSigningSecret = TestEnvironment.Secret();
    private readonly string _botToken = "xoxb-" + TestEnvironment.Secret();
    private readonly string _teamsSig = TestEnvironment.Secret();
    private readonly string _hookSecret = TestEnvironment.Secret();
    private FakeSlack _slack = null!;
    private string _webhookLog = null!;
    private string _collectorLog = null!;

    public async Task InitializeAsync() => _slack = await FakeSlack.StartAsync();

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task No_configured_secret_appears_in_any_log_line()
    {
        // Outside the environment's folder, which is deleted when the apps stop.
        var logs = Directory.CreateTempSubdirectory("autocapture-secret-logs-").FullName;
        _webhookLog = Path.Combine(logs, "webhook.log");
        _collectorLog = Path.Combine(logs, "collector.log");
        var collectorSettings = TestEnvironment.VerboseLogTo(_collectorLog);
        collectorSettings["AutoCapture:Collector:PreviousKeyId"] = "old";
        collectorSettings["AutoCapture:Collector:PreviousSigningKey"] = _previousKey;
        collectorSettings["AutoCapture:Collector:AllowedProcesses:0:Name"] = "checkout";
        var collector = await _env.StartCollectorAsync(collectorSettings);
        var webhookSettings = TestEnvironment.VerboseLogTo(_webhookLog);
        webhookSettings["AutoCapture:Sources:Alertmanager:Username"] = _username;
        webhookSettings["AutoCapture:Sources:Alertmanager:Password"] = _password;
        webhookSettings["AutoCapture:Sources:Grafana:HmacSecret"] = _hmac;
        webhookSettings["AutoCapture:Sources:AzureMonitor:QuerySecret"] = _query;
        webhookSettings["AutoCapture:Collector:PreviousKeyId"] = "old";
        webhookSettings["AutoCapture:Collector:PreviousSigningKey"] = _previousKey;
        webhookSettings["AutoCapture:Chat:Default"] = "slack";
        webhookSettings["AutoCapture:Chat:Slack:WebhookUrl"] = _slack.WebhookUrl;
        webhookSettings["AutoCapture:Api:ReadTokens:0"] = _readToken;
        webhookSettings["AutoCapture:Api:WriteTokens:0"] = _writeToken;
        webhookSettings["AutoCapture:Chat:Slack:SigningSecret"] = _slackSigningSecret;
        webhookSettings["AutoCapture:Chat:Channels:oncall:Type"] = "slack-bot";
        webhookSettings["AutoCapture:Chat:Channels:oncall:Token"] = _botToken;
        webhookSettings["AutoCapture:Chat:Channels:oncall:Channel"] = FakeSlack.ChannelId;
        webhookSettings["AutoCapture:Chat:Channels:team:Type"] = "teams";
        webhookSettings["AutoCapture:Chat:Channels:team:Url"] = $"https://example.invalid/workflows/x?sig={_teamsSig}";
        webhookSettings["AutoCapture:Chat:Channels:tickets:Type"] = "webhook";
        webhookSettings["AutoCapture:Chat:Channels:tickets:Url"] = "https://example.invalid/hooks";
        webhookSettings["AutoCapture:Chat:Channels:tickets:Secret"] = _hookSecret;
        var webhook = await _env.StartWebhookAsync($$$"""
            rules:
              - name: any
                match: ['alertname =~ ".+"']
                target: { collector: "{{{collector.Url}}}", host: "{{ labels.pod | default \"web\" }}", process: { name: checkout } }
                captures: [stacks]
            """, webhookSettings);

        // Alertmanager: right and wrong bearer; its capture's chat message goes through.
        var first = await _env.WaitForOutcomeAsync(await FireAsync(webhook, "Bearer", _env.BearerToken, "p1"), TimeSpan.FromSeconds(60));
        await FireAsync(webhook, "Bearer", "wrong-" + _env.BearerToken, "p2");

        // Right and wrong basic auth; this capture's chat message meets a Slack that throttles until the notifier gives up.
        _slack.ThrottleNext(100);
        var second = await FireAsync(webhook, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}")), "p3");
        await FireAsync(webhook, "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}x")), "p4");
        Assert.NotEmpty(second);

        // A sender that put its secret where the scheme goes ("Authorization: <secret> x").
        await FireAsync(webhook, _secretAsScheme, "x", "p6");
        Assert.NotNull((await _env.WaitForOutcomeAsync(second, TimeSpan.FromSeconds(120))).NotifyError);

        // Grafana: right and wrong HMAC.
        var grafana = """{"version":"1","alerts":[{"status":"firing","labels":{"alertname":"G","pod":"p5"},"startsAt":"2026-11-21T10:00:00Z"}]}""";
        foreach (var secret in new[] { _hmac, _hmac + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/alerts/grafana") { Content = new StringContent(grafana, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Grafana-Alerting-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(grafana))));
            (await _env.Http.SendAsync(request)).Dispose();
        }

        // Azure Monitor: the secret travels in the URL, right and wrong.
        var azure = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Support", "azure-prometheus.json"));
        (await _env.Http.PostAsync($"{webhook.Url}/api/alerts/azuremonitor?token={_query}", new StringContent(azure, Encoding.UTF8, "application/json"))).Dispose();
        (await _env.Http.PostAsync($"{webhook.Url}/api/alerts/azuremonitor?token={_query}x", new StringContent(azure, Encoding.UTF8, "application/json"))).Dispose();

        // Collector traffic signed with the previous key and with a wrong one.
        var body = AutoCaptureJson.Serialize(new CaptureRequest(CaptureIds.NewRandom(DateTimeOffset.UtcNow), new ProcessSelector(Name: "checkout"), [new CaptureSpec(CaptureKinds.Stacks)], null));
        foreach (var key in new[] { new SigningKey("old", _previousKey), new SigningKey("default", _previousKey + "x") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{collector.Url}/v1/captures") { Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } };
            RequestSigning.Sign(request, key, body, DateTimeOffset.UtcNow);
            (await _env.Http.SendAsync(request)).Dispose();
        }

        // Signed links: the page and a forged one.
        var page = $"{webhook.Url}/api/captures/{first.Id}";
        var link = _slack.Accepted
            .SelectMany(message => JsonDocument.Parse(message.ToJsonString()).RootElement.GetProperty("blocks").EnumerateArray())
            .Where(b => b.TryGetProperty("elements", out _)).SelectMany(b => b.GetProperty("elements").EnumerateArray())
            .Select(e => e.TryGetProperty("url", out var url) ? url.GetString() : null).First(u => u is not null && u.StartsWith(page, StringComparison.Ordinal))!;
        (await _env.Http.GetAsync(link)).Dispose();
        (await _env.Http.GetAsync(page + "?token=1.forged")).Dispose();

        // The capture API with the read token and with a wrong one.
        foreach (var token in new[] { _readToken, _readToken + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{webhook.Url}/api/captures?alert=HighCPU");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            (await _env.Http.SendAsync(request)).Dispose();
        }

        // Capture on demand with the write token and a wrong one, and a Slack click signed with a wrong secret.
        foreach (var token in new[] { _writeToken, _writeToken + "x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/captures")
            {
                Content = new StringContent($$"""{ "collector": "{{collector.Url}}", "process": { "name": "checkout" }, "kinds": ["stacks"] }""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            (await _env.Http.SendAsync(request)).Dispose();
        }

        using (var click = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/slack/interactivity") { Content = new FormUrlEncodedContent([new("payload", "{}")]) })
        {
            click.Headers.Add("X-Slack-Request-Timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            click.Headers.Add("X-Slack-Signature", "v0=" + new string('0', 64));
            (await _env.Http.SendAsync(click)).Dispose();
        }

        await _env.DisposeAsync();
        var text = await File.ReadAllTextAsync(_webhookLog) + await File.ReadAllTextAsync(_collectorLog);
        Directory.Delete(logs, recursive: true);
        Assert.True(text.Length > 10_000, $"the logs are suspiciously short ({text.Length} characters): is logging on?");
        Assert.Contains("Rejected a alertmanager webhook", text, StringComparison.Ordinal);
        Assert.Contains("Rejected a grafana webhook", text, StringComparison.Ordinal);
        Assert.Contains("Rejected a azuremonitor webhook", text, StringComparison.Ordinal);
        Assert.Contains("chat message to slack failed", text, StringComparison.Ordinal);
        var secrets = new Dictionary<string, string>
        {
            ["bearer token"] = _env.BearerToken,
            ["basic password"] = _password,
            ["grafana hmac secret"] = _hmac,
            ["azure query secret"] = _query,
            ["collector key"] = _env.CollectorKey,
            ["previous collector key"] = _previousKey,
            ["link key"] = _env.LinkKey,
            ["slack webhook path"] = new Uri(_slack.WebhookUrl).AbsolutePath,
            ["basic credentials as sent"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}")),
            ["basic username"] = _username,
            ["secret sent as the authorization scheme"] = _secretAsScheme,
            ["api read token"] = _readToken,
            ["api write token"] = _writeToken,
            ["slack signing secret"] = _slackSigningSecret,
            ["slack bot token"] = _botToken,
            ["teams workflow signature"] = _teamsSig,
            ["webhook channel secret"] = _hookSecret,
        };
        foreach (var (name, secret) in secrets)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"the {name} appears in the logs");
        }
    }

    private async Task<string> FireAsync(RunningApp webhook, string scheme, string credential, string pod)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/alerts/alertmanager")
        {
            Content = new StringContent(Alerts.Payload(Alerts.Firing("HighCPU", ("pod", pod))), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, credential);
        using var response = await _env.Http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            return string.Empty;
        }

        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;
    }
}
