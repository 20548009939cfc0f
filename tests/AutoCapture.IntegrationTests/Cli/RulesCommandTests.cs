using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>The `autocapture rules` commands, run as a user runs them: the real CLI in its own process.</summary>
public sealed class RulesCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autocapture-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => CliProcess.RunAsync(args);

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        CliProcess.RunAsync(args, environment, workingDirectory);

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
    public async Task Validate_reports_every_problem_in_file_order_in_one_run()
    {
        var rules = Write("bad.yaml", """
            rules:
              - name: r
                match: ['alertname == "x"', 'job =~ "(a+)+"']
                target: { collector: "{{ labels.instance | host }}:7080", process: { name: app } }
                chat: pager
              - name: r
                match: ['alertname = "x"']
                target: { collector: http://c, process: { name: app } }
                captures: [gpu]
            """);

        var (exit, _, error) = await RunAsync(["rules", "validate", rules], workingDirectory: _directory);

        Assert.Equal(1, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] expected =
        [
            $"{rules}:3:13: rules[0].match[0]: 'alertname == \"x\"': '==' is not a matcher operator; use = for equality (Alertmanager matcher syntax)",
            $"{rules}:3:33: warning: rules[0].match[1]: job=~\"(a+)+\" repeats a group",
            $"{rules}:4:26: rules[0].target.collector '{{{{ labels.instance | host }}}}:7080' cannot render to an http(s) address",
            $"{rules}:5:11: rules[0].chat: messages go to chat channel 'pager', which is not configured",
            $"{rules}:6:11: rules[1].name: 'r' is already the name of the rule at line 2",
            $"{rules}:9:16: rules[1].captures[0]: unknown capture kind 'gpu'",
            "5 errors, 1 warning",
        ];
        Assert.Equal(expected.Length, lines.Length);
        Assert.All(expected.Zip(lines), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_warns_about_nested_quantifiers_but_passes()
    {
        var rules = Write("rules.yaml", "rules:\n  - name: r\n    match: ['job =~ \"(a+)+\"']\n    target: { collector: http://c, process: { name: app } }\n");

        var (exit, output, error) = await RunAsync(["rules", "validate", rules], workingDirectory: _directory);

        Assert.True(exit == 0, error);
        Assert.Contains("1 rule", output, StringComparison.Ordinal);
        Assert.StartsWith($"{rules}:3:13: warning: rules[0].match[0]: job=~\"(a+)+\" repeats a group that itself repeats", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_takes_chat_channels_from_the_settings_file_the_environment_or_channels()
    {
        var rules = Write("rules.yaml", "rules:\n  - name: r\n    match: ['alertname = \"x\"']\n    target: { collector: http://c, process: { name: app } }\n    chat: team\n");
        Write("appsettings.json", """{ "AutoCapture": { "Chat": { "Channels": { "team": { "Type": "teams", "Url": "https://example.com/workflows/SECRET" } } } } }""");
        var other = Directory.CreateTempSubdirectory("autocapture-cli-").FullName;
        try
        {
            var inDirectory = await RunAsync(["rules", "validate", rules], workingDirectory: _directory);
            var elsewhere = await RunAsync(["rules", "validate", rules], workingDirectory: other);
            var fromEnvironment = await RunAsync(["rules", "validate", rules], new Dictionary<string, string> { ["AutoCapture__Chat__Channels__team__Type"] = "teams" }, other);
            var fromFlag = await RunAsync(["rules", "validate", rules, "--channels", "pager, team"], workingDirectory: other);
            var flagReplacesSettings = await RunAsync(["rules", "validate", rules, "--channels", "pager"], workingDirectory: _directory);

            Assert.True(inDirectory.ExitCode == 0, inDirectory.Error);
            Assert.Equal(1, elsewhere.ExitCode);
            Assert.Contains($"{rules}:5:11: rules[0].chat: messages go to chat channel 'team', which is not configured (configured: console; add AutoCapture:Chat:Channels:team:Type)", elsewhere.Error, StringComparison.Ordinal);
            Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Error);
            Assert.True(fromFlag.ExitCode == 0, fromFlag.Error);
            Assert.Equal(1, flagReplacesSettings.ExitCode);
            Assert.Contains("(configured: console, pager;", flagReplacesSettings.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRET", inDirectory.Output + inDirectory.Error + flagReplacesSettings.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public async Task Test_exits_2_when_a_matched_alert_cannot_resolve_its_target_and_still_prints_every_row()
    {
        var rules = Write("rules.yaml", """
            rules:
              - name: checkout-cpu
                match: ['alertname = "HighCPU"']
                target:
                  collector: "http://{{ labels.instance | host }}:7080"
                  process: { name: "{{ labels.service }}" }
            """);
        var payload = Write("alert.json", """
            {"version":"4","status":"firing","alerts":[
              {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-3:9100","service":"checkout"},"startsAt":"2026-11-21T10:00:00Z"},
              {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-4:9100"},"startsAt":"2026-11-21T10:00:00Z"}]}
            """);

        var (exit, output, error) = await RunAsync(["rules", "test", rules, "--alert", payload], workingDirectory: _directory);

        Assert.Equal(2, exit);
        Assert.Contains("name=checkout on web-3 via http://web-3:7080", output, StringComparison.Ordinal);
        Assert.Contains("cannot resolve the target: process.name: labels.service is not set on alert HighCPU", output, StringComparison.Ordinal);
        Assert.Contains("1 matched alert cannot resolve the rule's target", error, StringComparison.Ordinal);
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
