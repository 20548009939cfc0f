using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>The `autocapture rules` commands, run as a user runs them: the real CLI in its own process.</summary>
public sealed class RulesCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autocapture-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => CliProcess.RunAsync(args);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Validate_prints_line_numbered_problems_and_fails()
    {
        var rules = Write("bad.yaml", "rules:\n  - name: r\n    match: ['alertname = \"x\"']\n    target: { collector: http://c, process: { name: app } }\n    captures: [gpu]\n");

        var (exit, _, error) = await RunAsync("rules", "validate", rules);

        Assert.Equal(1, exit);
        Assert.Contains($"{rules}:5:16: rules[0].captures[0]: unknown capture kind 'gpu'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_shows_the_matching_rule_target_captures_and_limits_for_each_alert()
    {
        var rules = Write("rules.yaml", """
            rules:
              - name: checkout-cpu
                match: ['alertname = "HighCPU"']
                budget: 2
                target:
                  collector: "http://{{ labels.instance | host }}:7080"
                  process: { name: "{{ labels.service }}" }
                captures: [{ kind: cpu, duration: 10s }, stacks]
            """);
        var payload = Write("alert.json", """
            {"version":"4","status":"firing","alerts":[
              {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-3:9100","service":"checkout"},"startsAt":"2026-11-21T10:00:00Z"},
              {"status":"firing","labels":{"alertname":"DiskFull"},"startsAt":"2026-11-21T10:00:00Z"},
              {"status":"resolved","labels":{"alertname":"HighCPU"},"startsAt":"2026-11-21T09:00:00Z"}]}
            """);

        var (exit, output, error) = await RunAsync("rules", "test", rules, "--alert", payload);

        Assert.True(exit == 0, error);
        Assert.Contains("3 alertmanager alerts", output, StringComparison.Ordinal);
        Assert.Contains("checkout-cpu", output, StringComparison.Ordinal);
        Assert.Contains("name=checkout on web-3 via http://web-3:7080", output, StringComparison.Ordinal);
        Assert.Contains("cpu 10s, stacks", output, StringComparison.Ordinal);
        Assert.Contains("budget 2/1 h", output, StringComparison.Ordinal);
        Assert.Contains("no rule matched", output, StringComparison.Ordinal);
        Assert.Contains("resolved alerts never capture", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_refuses_an_invalid_payload_with_the_reason()
    {
        var rules = Write("rules.yaml", "rules: []\n");
        var payload = Write("alert.json", """{"version":"4"}""");

        var (exit, _, error) = await RunAsync("rules", "test", rules, "--alert", payload);

        Assert.Equal(1, exit);
        Assert.Contains("alerts is required", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing.json", null, "File does not exist")]
    [InlineData("alert.json", "pagerduty", "Argument 'pagerduty' not recognized")]
    public async Task Test_answers_a_missing_payload_file_or_an_unknown_source_with_a_usage_error(string payloadName, string? source, string expected)
    {
        var rules = Write("rules.yaml", "rules: []\n");
        Write("alert.json", """{"version":"4"}""");
        string[] args = ["rules", "test", rules, "--alert", Path.Combine(_directory, payloadName)];

        var (exit, _, error) = await RunAsync(source is null ? args : [.. args, "--source", source]);

        Assert.Equal(1, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }
}
