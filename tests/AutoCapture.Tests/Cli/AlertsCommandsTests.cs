using System.CommandLine;
using AutoCapture.Cli.Alerts;
using AutoCapture.Cli.Captures;
using AutoCapture.Cli.Commands;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Tests.Cli;

/// <summary>`autocapture alerts send`: the payloads it builds are what the app's own parsers accept, and bad arguments are usage errors that name the argument.</summary>
public class AlertsCommandsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 4, 30, 15, 250, TimeSpan.Zero);

    private static readonly TestAlert HighCpu = new(
        "HighCPU",
        new Dictionary<string, string> { ["service"] = "checkout", ["instance"] = "10.0.0.7:9100", ["severity"] = "page" },
        new Dictionary<string, string> { ["summary"] = "checkout is using more than 90% CPU" },
        Resolved: false);

    private static Alert ParsedBy(AlertSourceKind source, TestAlert alert)
    {
        IAlertSource parser = source switch
        {
            AlertSourceKind.Alertmanager => new AlertmanagerSource(),
            AlertSourceKind.Grafana => new GrafanaSource(),
            _ => new AzureMonitorSource(),
        };
        Assert.Equal(parser.Name, TestAlert.RouteOf(source));
        return Assert.Single(parser.Parse(alert.Payload(source, Now)));
    }

    [Theory]
    [InlineData(AlertSourceKind.Alertmanager)]
    [InlineData(AlertSourceKind.Grafana)]
    [InlineData(AlertSourceKind.AzureMonitor)]
    public void Each_sources_payload_parses_back_to_the_alert_described(AlertSourceKind source)
    {
        var alert = ParsedBy(source, HighCpu);

        Assert.Equal("HighCPU", alert.Name);
        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal(Now, alert.StartsAt);
        Assert.Equal("HighCPU", alert.Labels["alertname"]);
        Assert.All(HighCpu.Labels, l => Assert.Equal(l.Value, alert.Labels[l.Key]));
        Assert.Equal("checkout is using more than 90% CPU", alert.Annotations["summary"]);
    }

    [Theory]
    [InlineData(AlertSourceKind.Alertmanager)]
    [InlineData(AlertSourceKind.Grafana)]
    [InlineData(AlertSourceKind.AzureMonitor)]
    public void A_resolved_alert_is_resolved_in_every_sources_shape(AlertSourceKind source) =>
        Assert.Equal(AlertStatus.Resolved, ParsedBy(source, HighCpu with { Resolved = true }).Status);

    [Fact]
    public void The_alertmanager_payload_carries_alertmanagers_own_fingerprint_and_a_later_send_is_a_new_instance()
    {
        var first = ParsedBy(AlertSourceKind.Alertmanager, HighCpu);
        var later = Assert.Single(new AlertmanagerSource().Parse(HighCpu.Payload(AlertSourceKind.Alertmanager, Now.AddMinutes(1))));

        Assert.Equal(AlertmanagerSource.Fingerprint(first.Labels), first.Fingerprint);
        Assert.Equal(first.Fingerprint, later.Fingerprint);
        Assert.NotEqual(first.InstanceId, later.InstanceId);
    }

    [Theory]
    [InlineData("x", "--label \"x\": expected key=value")]
    [InlineData("1x=y", "--label \"1x=y\": \"1x\" is not a valid name")]
    [InlineData("a-b=y", "--label \"a-b=y\": \"a-b\" is not a valid name")]
    [InlineData("=y", "--label \"=y\": \"\" is not a valid name")]
    [InlineData("é=y", "--label \"é=y\": \"é\" is not a valid name")]
    public void A_malformed_label_is_a_usage_error_naming_the_argument(string argument, string expected)
    {
        var error = Assert.Throws<CliException>(() => AlertsCommands.Pairs("--label", ["ok=1", argument]));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(AlertsCommands.Usage, error.ExitCode);
    }

    [Fact]
    public void Values_may_hold_equals_signs_and_names_may_not_repeat()
    {
        Assert.Equal(new Dictionary<string, string> { ["query"] = "a=b", ["_x1"] = "" }, AlertsCommands.Pairs("--annotation", ["query=a=b", "_x1="]));
        var twice = Assert.Throws<CliException>(() => AlertsCommands.Pairs("--annotation", ["a=1", "a=2"]));
        Assert.Equal("--annotation \"a=2\": a is given twice", twice.Message);
    }

    [Fact]
    public void The_alert_needs_a_name_given_once()
    {
        Assert.Equal(AlertsCommands.Usage, Assert.Throws<CliException>(() => AlertsCommands.Alert(null, [], [], false)).ExitCode);
        var twice = Assert.Throws<CliException>(() => AlertsCommands.Alert("HighCPU", ["alertname=Other"], [], false));
        Assert.Contains("--alertname", twice.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://autocapture.example.com", AlertSourceKind.Alertmanager, "https://autocapture.example.com/api/alerts/alertmanager")]
    [InlineData("http://10.0.0.7:8080/autocapture/", AlertSourceKind.Grafana, "http://10.0.0.7:8080/autocapture/api/alerts/grafana")]
    [InlineData("https://a.example/?token=s3cret", AlertSourceKind.AzureMonitor, "https://a.example/api/alerts/azuremonitor?token=s3cret")]
    public void The_webhook_address_is_the_sources_route_under_the_app_keeping_a_query_secret(string app, AlertSourceKind source, string expected) =>
        Assert.Equal(expected, AlertSender.TargetUrl(app, source)!.AbsoluteUri);

    [Theory]
    [InlineData(null)]
    [InlineData("autocapture.example.com")]
    [InlineData("ftp://autocapture.example.com")]
    public void An_app_address_that_is_not_http_is_refused(string? app) => Assert.Null(AlertSender.TargetUrl(app, AlertSourceKind.Alertmanager));

    [Fact]
    public void The_answer_reads_one_line_per_capture_with_its_id_and_no_control_characters()
    {
        var answer = new WebhookAnswer(1,
        [
            new("HighCPU", "f1", "firing",
            [
                new("20261206-0123456789abcdef", "checkout-high-cpu", "checkout on 10.0.0.7", "started", ["cpu", "stacks"], null),
                new("20261206-fedcba9876543210", "checkout-stacks", "checkout on 10.0.0.7", "skipped", ["stacks"], "cooldown until 04:40"),
            ], null),
            new("Evil\u001b]0;x\u0007", "f2", "firing", [], null),
        ]);

        var lines = AlertSender.Describe(new Uri("http://127.0.0.1:8080/api/alerts/alertmanager"), answer).ToList();

        Assert.Equal(
            [
                "✓ accepted by http://127.0.0.1:8080/api/alerts/alertmanager: 2 alerts, 1 capture started",
                "  HighCPU (firing): started 20261206-0123456789abcdef (rule checkout-high-cpu, cpu, stacks of checkout on 10.0.0.7)",
                "  HighCPU (firing): skipped 20261206-fedcba9876543210 (rule checkout-stacks, stacks of checkout on 10.0.0.7): cooldown until 04:40",
                "  Evil?]0;x? (firing): no capture: no rule matched",
            ],
            lines);
    }

    [Theory]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--alertname", "X", "--bogus")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--alertname", "X", "--source", "pagerduty")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--alertname", "X", "--label")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--alertname", "X", "--label", "x")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--label", "service=checkout")]
    [InlineData("alerts", "send", "--app", "127.0.0.1:9", "--alertname", "X")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--payload", "alert.json", "--label", "a=b")]
    [InlineData("alerts", "send", "--app", "http://127.0.0.1:9", "--payload", "/nonexistent/alert.json")]
    public async Task Usage_errors_exit_2_before_anything_is_sent(params string[] args)
    {
        var sent = 0;
        var root = new RootCommand { AlertsCommands.Create(() => new HttpClient(new CountingHandler(() => sent++))) };

        var exitCode = await root.Parse(args).InvokeAsync();

        Assert.Equal(AlertsCommands.Usage, exitCode);
        Assert.Equal(0, sent);
    }

    [Fact]
    public async Task Help_names_the_variables_but_never_their_values()
    {
        string[] variables = [AlertsCommands.TokenVariable, AlertsCommands.PasswordVariable, AlertsCommands.HmacSecretVariable, CapturesCommands.UrlVariable];
        var root = new RootCommand { AlertsCommands.Create() };
        var output = new StringWriter();
        foreach (var variable in variables)
        {
            Environment.SetEnvironmentVariable(variable, $"https://a.example/?token=secret-{variable}");
        }

        try
        {
            await root.Parse(["alerts", "send", "--help"]).InvokeAsync(new InvocationConfiguration { Output = output });
        }
        finally
        {
            foreach (var variable in variables)
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }

        Assert.All(variables, v => Assert.Contains("$" + v, output.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain("secret-", output.ToString(), StringComparison.Ordinal);
    }

    private sealed class CountingHandler(Action onSend) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.Accepted));
        }
    }

    [Fact]
    public void Credentials_print_which_are_set_never_their_values()
    {
        var text = new AlertCredentials(Token: "tok-0123456789", Username: "am", Password: "pw-0123456789", HmacSecret: "hmac-0123456789").ToString();

        Assert.DoesNotContain("0123456789", text, StringComparison.Ordinal);
        Assert.Contains("Username = am", text, StringComparison.Ordinal);
        Assert.Contains("Token = ***", text, StringComparison.Ordinal);
        Assert.Contains("HmacSecret = ***", text, StringComparison.Ordinal);
    }
}
