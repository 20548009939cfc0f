using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Issue 12, item 1: alert labels cannot aim the webhook app's signed requests anywhere but an allowed collector,
/// and whatever answers there cannot put its words in chat. The probes are the security review's own.
/// </summary>
public sealed class CollectorAddressTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _nobody = $"autocapture-nobody-{Guid.NewGuid():N}";
    private readonly List<WebApplication> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        await _env.DisposeAsync();
    }

    /// <summary>A loopback HTTP server that counts what reaches it and answers with <paramref name="answer"/>.</summary>
    private async Task<(string Url, Func<int> Hits)> StartServerAsync(Func<HttpContext, Task> answer)
    {
        var hits = 0;
        var app = LoopbackServer.Create();
        app.Run(context =>
        {
            Interlocked.Increment(ref hits);
            return answer(context);
        });
        await app.StartAsync();
        _servers.Add(app);
        return (app.Urls.First(), () => Volatile.Read(ref hits));
    }

    private static Task Secret(HttpContext context) => context.Response.WriteAsync("SSH-2.0-OpenSSH_9.2 ssrf-secret");

    private string RuleFor(string alertname, string collector) => $$$"""
          - name: {{{alertname.ToLowerInvariant()}}}
            match: ['alertname = "{{{alertname}}}"']
            target: { collector: "{{{collector}}}", process: { name: "{{{_nobody}}}" } }
            captures: [stacks]
        """;

    private static string CaptureIdOf(JsonElement alert) => alert.GetProperty("captures")[0].GetProperty("captureId").GetString()!;

    [Fact]
    public async Task A_label_cannot_move_the_port_or_add_a_path_and_nothing_reaches_the_address_it_names()
    {
        var (secretUrl, secretHits) = await StartServerAsync(Secret);
        var secret = new Uri(secretUrl);
        var collector = await _env.StartCollectorAsync();
        var port = new Uri(collector.Url).Port;
        // A host-only entry: the port the rule fixes must hold without the allowlist's help.
        var webhook = await _env.StartWebhookAsync(
            $"rules:\n{RuleFor("ByHost", $"http://{{{{ labels.instance | host }}}}:{port}")}\n{RuleFor("Raw", $"http://{{{{ labels.node }}}}:{port}")}\n",
            new() { ["AutoCapture:Collector:AllowedCollectors:0"] = "127.0.0.1" });

        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(
            Alerts.Firing("ByHost", ("instance", $"127.0.0.1:{secret.Port}#:")),
            Alerts.Firing("Raw", ("node", $"127.0.0.1:{secret.Port}/ssrf-secret/#")),
            Alerts.Firing("ByHost", ("instance", "127.0.0.1:9100"))));
        var alerts = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts");
        // The allowed alert's capture reaching its outcome shows dispatch has run.
        var control = await _env.WaitForOutcomeAsync(CaptureIdOf(alerts[2]), TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("rule byhost: cannot resolve the target: collector: labels.instance on alert ByHost has no plain host name or IP address for '| host'", alerts[0].GetProperty("note").GetString());
        Assert.Equal($"rule raw: cannot resolve the target: collector 'http://127.0.0.1:{secret.Port}/ssrf-secret/#:{port}' is not an http(s) address of the form scheme://host[:port] (no user, path, query or fragment)", alerts[1].GetProperty("note").GetString());
        Assert.Equal(0, alerts[0].GetProperty("captures").GetArrayLength());
        Assert.Equal(0, alerts[1].GetProperty("captures").GetArrayLength());
        Assert.Equal($"http://127.0.0.1:{port}", control.Target.Collector);
        Assert.Equal(0, secretHits());
    }

    [Fact]
    public async Task A_metadata_address_is_refused_with_no_allowlist_and_with_one_that_covers_but_does_not_name_it()
    {
        // Allowing it by name is covered without a network (AllowedAddressTests): this test must not call the address.
        var rules = $"rules:\n{RuleFor("Metadata", "http://169.254.169.254:80")}\n";
        var open = await _env.StartWebhookAsync(rules);
        var broad = await _env.StartWebhookAsync(rules, new() { ["AutoCapture:Collector:AllowedCollectors:0"] = "0.0.0.0/0" });

        async Task<JsonElement> FireAsync(RunningApp webhook)
        {
            using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("Metadata", ("pod", Guid.NewGuid().ToString("N")))));
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0];
        }

        const string Refused = "rule metadata: collector 169.254.169.254 is a link-local or cloud metadata address; only an AutoCapture:Collector:AllowedCollectors entry naming it allows it";
        Assert.Equal(Refused, (await FireAsync(open)).GetProperty("note").GetString());
        Assert.Equal(Refused, (await FireAsync(broad)).GetProperty("note").GetString());
    }

    [Fact]
    public async Task Startup_refuses_a_rule_that_takes_its_collector_from_alert_data_when_no_collectors_are_allowed()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => _env.StartWebhookAsync(
            $"rules:\n{RuleFor("Fixed", "http://collector.internal:7080")}\n{RuleFor("FromLabels", "http://{{ labels.instance | host }}:7080")}\n"));

        var failure = Assert.Single(error.Failures);
        Assert.Matches(@"rules-[0-9a-f]+\.yaml: rule 'fromlabels' \(line 6\) takes its collector address from alert data \('http://\{\{ labels\.instance \| host \}\}:7080'\), so AutoCapture:Collector:AllowedCollectors must list the collectors it may reach", failure);
    }

    [Fact]
    public async Task A_collectors_error_text_never_reaches_the_manifest_or_chat()
    {
        var marker = $"ssrf-secret-{Guid.NewGuid():N}";
        var (standIn, _) = await StartServerAsync(context => Results.Json(new { error = $"{marker}: root:x:0:0" }, statusCode: 400).ExecuteAsync(context));
        await using var slack = await FakeSlack.StartAsync();
        var webhook = await _env.StartWebhookAsync($"rules:\n{RuleFor("Refused", standIn)}\n", new() { ["AutoCapture:Chat:Slack:WebhookUrl"] = slack.WebhookUrl, ["AutoCapture:Chat:Default"] = "slack" });

        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("Refused")));
        var id = CaptureIdOf(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0]);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CaptureStatus.Failed, manifest.Status);
        Assert.Equal($"collector at {new Uri(standIn).Authority} answered 400: the collector refused the request as invalid", manifest.Error);
        Assert.NotEmpty(slack.Accepted);
        Assert.All(slack.Accepted, message => Assert.DoesNotContain(marker, message.ToJsonString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_from_the_collector_address_is_not_followed()
    {
        var (metadataUrl, metadataHits) = await StartServerAsync(Secret);
        var (redirecting, redirectHits) = await StartServerAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = $"{metadataUrl}/latest/meta-data/";
            return Task.CompletedTask;
        });
        var webhook = await _env.StartWebhookAsync($"rules:\n{RuleFor("Redirected", redirecting)}\n");

        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("Redirected")));
        var id = CaptureIdOf(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0]);
        var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal($"collector at {new Uri(redirecting).Authority} answered 307: not an answer a collector gives", manifest.Error);
        Assert.Equal(1, redirectHits());
        Assert.Equal(0, metadataHits());
    }
}
