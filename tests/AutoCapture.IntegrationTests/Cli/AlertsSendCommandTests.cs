using System.Text.RegularExpressions;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>
/// `autocapture alerts send` run as a user runs it (the real CLI in its own process) against the real webhook app, with
/// each source's own credential: the capture id it prints is the capture the app filed in the store.
/// </summary>
public sealed partial class AlertsSendCommandTests : IAsyncLifetime
{
    private const string Rules = """
        rules:
          - name: checkout-high-cpu
            match: ['alertname = "HighCPU"', 'service =~ "checkout|search"']
            target:
              collector: "http://127.0.0.1:9"
              host: "{{ labels.instance | host }}"
              process: { name: "{{ labels.service }}" }
            captures: [stacks]
        """;

    private readonly TestEnvironment _env = new();
    private readonly string _hmacSecret = TestEnvironment.Secret();
    private readonly string _querySecret = TestEnvironment.Secret();
    private readonly string _password = TestEnvironment.Secret();
    private RunningApp _app = null!;

    [GeneratedRegex(@"started (?<id>\d{8}-[0-9a-f]{16}) ")]
    private static partial Regex Started();

    public async Task InitializeAsync() => _app = await _env.StartWebhookAsync(Rules, new()
    {
        ["AutoCapture:Sources:Grafana:HmacSecret"] = _hmacSecret,
        ["AutoCapture:Sources:Grafana:HmacTimestampHeader"] = "X-Grafana-Alerting-Signature-Timestamp",
        ["AutoCapture:Sources:AzureMonitor:QuerySecret"] = _querySecret,
        ["AutoCapture:Sources:Alertmanager:Username"] = "alertmanager",
        ["AutoCapture:Sources:Alertmanager:Password"] = _password,
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private Task<(int ExitCode, string Output, string Error)> SendAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        CliProcess.RunAsync(["alerts", "send", "--app", _app.Url, .. args], environment, _env.Root);

    private static string[] HighCpu(string instance, string service = "checkout") =>
        ["--alertname", "HighCPU", "--label", $"service={service}", "--label", $"instance={instance}", "--annotation", "summary=checkout is using more than 90% CPU"];

    [Fact]
    public async Task The_capture_id_printed_is_the_capture_filed_in_the_store_and_a_second_send_is_skipped()
    {
        var token = new Dictionary<string, string> { ["AUTOCAPTURE_ALERT_TOKEN"] = _env.BearerToken };

        var (exit, output, error) = await SendAsync(token, HighCpu("10.1.2.3:9100"));
        var (againExit, againOutput, againError) = await SendAsync(token, HighCpu("10.1.2.3:9100"));

        Assert.True(exit == 0, error);
        Assert.Contains("1 alert, 1 capture started", output, StringComparison.Ordinal);
        var id = Started().Match(output).Groups["id"].Value;
        var manifest = await _env.Manifests.ReadAsync(id, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal("checkout-high-cpu", manifest.Rule);
        Assert.Equal("HighCPU", manifest.Alert.Name);
        Assert.Equal("10.1.2.3:9100", manifest.Alert.Labels["instance"]);
        Assert.Equal("checkout is using more than 90% CPU", manifest.Alert.Annotations["summary"]);
        Assert.Equal("alertmanager", manifest.Alert.Source);

        // Sent again later: a new alert instance, but the same target is in its cooldown.
        Assert.True(againExit == 0, againError);
        Assert.Contains("0 captures started", againOutput, StringComparison.Ordinal);
        Assert.Contains("HighCPU (firing): skipped ", againOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(_env.BearerToken, output + error + againOutput + againError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_exits_1_with_the_apps_message_and_is_never_printed()
    {
        var wrong = TestEnvironment.Secret();

        var (exit, output, error) = await SendAsync(new Dictionary<string, string>(), [.. HighCpu("10.1.2.4:9100"), "--token", wrong]);

        Assert.Equal(1, exit);
        Assert.Contains("refused the alert: HTTP 401: missing or wrong credentials", error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grafana_is_sent_signed_with_a_timestamp_and_azure_monitor_with_its_query_secret()
    {
        // Two services: one process each, so the second is not in the first one's cooldown.
        var (grafanaExit, grafanaOutput, grafanaError) = await SendAsync(
            new Dictionary<string, string> { ["AUTOCAPTURE_ALERT_HMAC_SECRET"] = _hmacSecret },
            [.. HighCpu("10.1.2.5:9100"), "--source", "grafana", "--hmac-timestamp-header", "X-Grafana-Alerting-Signature-Timestamp"]);
        var (azureExit, azureOutput, azureError) = await CliProcess.RunAsync(
            ["alerts", "send", "--app", $"{_app.Url}/?token={_querySecret}", "--source", "azuremonitor", .. HighCpu("10.1.2.6:9100", service: "search")],
            workingDirectory: _env.Root);

        Assert.True(grafanaExit == 0, grafanaError);
        Assert.True(azureExit == 0, azureError);
        foreach (var (output, source) in new[] { (grafanaOutput, "grafana"), (azureOutput, "azuremonitor") })
        {
            var started = Started().Match(output);
            Assert.True(started.Success, output);
            var manifest = await _env.Manifests.ReadAsync(started.Groups["id"].Value, CancellationToken.None);
            Assert.Equal(source, manifest?.Alert.Source);
        }

        Assert.DoesNotContain(_querySecret, azureOutput + azureError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_takes_the_password_from_the_environment()
    {
        var (exit, output, error) = await SendAsync(
            new Dictionary<string, string> { ["AUTOCAPTURE_ALERT_PASSWORD"] = _password }, [.. HighCpu("10.1.2.8:9100"), "--username", "alertmanager"]);
        var (wrongExit, _, wrongError) = await SendAsync(
            new Dictionary<string, string> { ["AUTOCAPTURE_ALERT_PASSWORD"] = _password + "x" }, [.. HighCpu("10.1.2.9:9100"), "--username", "alertmanager"]);

        Assert.True(exit == 0, error);
        Assert.Matches(Started(), output);
        Assert.Equal(1, wrongExit);
        Assert.Contains("HTTP 401", wrongError, StringComparison.Ordinal);
        Assert.DoesNotContain(_password, output + error + wrongError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_file_is_sent_as_it_is()
    {
        var file = Path.Combine(_env.Root, "alert.json");
        await File.WriteAllTextAsync(file, $$$"""
            {"version":"4","status":"firing","receiver":"autocapture","groupKey":"{}:{alertname=\"HighCPU\"}","alerts":[
              {"status":"firing","fingerprint":"5f0c2a9e1b7d4c3a","startsAt":"{{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}}}",
               "labels":{"alertname":"HighCPU","service":"checkout","instance":"10.1.2.7:9100"}}]}
            """);

        var (exit, output, error) = await SendAsync(new Dictionary<string, string> { ["AUTOCAPTURE_ALERT_TOKEN"] = _env.BearerToken }, "--payload", file);

        Assert.True(exit == 0, error);
        var manifest = await _env.Manifests.ReadAsync(Started().Match(output).Groups["id"].Value, CancellationToken.None);
        Assert.Equal("5f0c2a9e1b7d4c3a", manifest?.Alert.Fingerprint);
    }
}
