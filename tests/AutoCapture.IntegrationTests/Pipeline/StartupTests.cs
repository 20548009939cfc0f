using AutoCapture.Functions.Rules;
using AutoCapture.IntegrationTests.Support;
using Microsoft.Extensions.Options;

namespace AutoCapture.IntegrationTests.Pipeline;

public sealed class StartupTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task An_invalid_rules_file_stops_startup_naming_file_line_and_problem()
    {
        var error = await Assert.ThrowsAsync<RulesFileException>(() => _env.StartWebhookAsync("rules:\n  - name: r\n    match: ['alertname = \"x\"']\n    target:\n      collector: http://c\n      process: {name: app}\n    captures: [gpu]\n"));

        Assert.Matches(@"rules-[0-9a-f]+\.yaml:7:16: rules\[0\]\.captures\[0\]: unknown capture kind 'gpu'", error.Message);
    }

    [Fact]
    public async Task Missing_secrets_stop_startup_naming_each_setting_without_echoing_values()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => _env.StartWebhookAsync(
            "rules: []",
            new()
            {
                ["AutoCapture:Sources:Alertmanager:BearerToken"] = null,
                ["AutoCapture:Collector:SigningKey"] = "short-secret",
                ["AutoCapture:Links:SigningKey"] = null,
                ["AutoCapture:Chat:Default"] = "pager",
            }));

        var message = string.Join("\n", error.Failures);
        Assert.Contains("No alert source is enabled: give AutoCapture:Sources:Alertmanager", message, StringComparison.Ordinal);
        Assert.Contains("AutoCapture:Collector:SigningKey must be at least 16 characters", message, StringComparison.Ordinal);
        Assert.Contains("AutoCapture:Links:SigningKey is required", message, StringComparison.Ordinal);
        Assert.Contains("AutoCapture:Chat:Default 'pager' is not a configured channel (console)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_sending_to_an_unconfigured_chat_channel_stops_startup_with_the_file_s_other_problems()
    {
        var error = await Assert.ThrowsAsync<RulesFileException>(() => _env.StartWebhookAsync(
            "rules:\n  - name: r\n    match: ['alertname == \"x\"']\n    target: { collector: http://c, process: { name: app } }\n    chat: oncall\n"
            + "  - name: r\n    match: ['alertname = \"x\"']\n    target: { collector: http://c, process: { name: app } }\n",
            new() { ["AutoCapture:Chat:Channels:team:Type"] = "teams", ["AutoCapture:Chat:Channels:team:Url"] = "https://example.com/workflows/SECRET" }));

        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"\.yaml:3:13: rules\[0\]\.match\[0\]: .*use = for equality", lines[0]);
        Assert.Matches(@"\.yaml:5:11: rules\[0\]\.chat: messages go to chat channel 'oncall', which is not configured \(configured: console, team;", lines[1]);
        Assert.Matches(@"\.yaml:6:11: rules\[1\]\.name: 'r' is already the name of the rule at line 2", lines[2]);
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_collector_refuses_to_start_without_a_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => _env.StartCollectorAsync(new() { ["AutoCapture:Collector:SigningKey"] = null }));
        Assert.Contains("AutoCapture:Collector:SigningKey is required", string.Join("\n", error.Failures), StringComparison.Ordinal);
    }
}
