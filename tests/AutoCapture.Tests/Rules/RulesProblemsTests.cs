using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

/// <summary>One pass reports every problem of a file, in file order, so a user fixes them all at once.</summary>
public class RulesProblemsTests
{
    private static readonly string[] Channels = ["console", "team"];

    private static RuleProblem[] ProblemsOf(string yaml, IReadOnlyCollection<string>? channels = null) =>
        [.. Assert.Throws<RulesFileException>(() => RulesLoader.Parse("rules.yaml", yaml, channels ?? Channels)).Problems];

    private static string Rule(string name, string collector = "http://c:7080", string? chat = null) =>
        $"  - name: {name}\n    match: ['alertname = \"x\"']\n    target: {{ collector: '{collector}', process: {{ name: app }} }}\n"
        + (chat is null ? string.Empty : $"    chat: {chat}\n");

    [Fact]
    public void Every_problem_of_every_rule_is_reported_in_file_order()
    {
        var problems = ProblemsOf("""
            rules:
              - name: a
                match: ['alertname == "x"']
                target: { collector: "{{ labels.instance | host }}:7080", process: { name: app } }
                chat: pager
              - name: a
                match: ['alertname = "x"']
                target: { collector: http://c:7080, process: { name: app } }
                captures: [gpu]
                cooldown: soon
            """);

        (int Line, string Start)[] expected =
        [
            (3, "rules[0].match[0]: 'alertname == \"x\"': '==' is not a matcher operator; use = for equality (Alertmanager matcher syntax)"),
            (4, "rules[0].target.collector '{{ labels.instance | host }}:7080' cannot render to an http(s) address"),
            (5, "rules[0].chat: messages go to chat channel 'pager', which is not configured (configured: console, team; add AutoCapture:Chat:Channels:pager:Type)"),
            (6, "rules[1].name: 'a' is already the name of the rule at line 2; names must be unique"),
            (9, "rules[1].captures[0]: unknown capture kind 'gpu'"),
            (10, "rules[1].cooldown: 'soon' is not a duration"),
        ];
        Assert.Equal(expected.Length, problems.Length);
        foreach (var (want, got) in expected.Zip(problems))
        {
            Assert.Equal(want.Line, got.Line);
            Assert.StartsWith(want.Start, got.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_duplicate_name_points_at_the_first_rule_and_its_own_column()
    {
        var problem = Assert.Single(ProblemsOf("rules:\n" + Rule("web") + Rule("db") + Rule("web")));

        Assert.Equal((8, 11), (problem.Line, problem.Column));
        Assert.Equal("rules[2].name: 'web' is already the name of the rule at line 2; names must be unique", problem.Message);
    }

    [Theory]
    [InlineData("{{ labels.instance | host }}:7080", "it renders 'sample-host:7080', and it has no scheme; start it with http:// or https://")]
    [InlineData("ftp://{{ labels.instance | host }}", "it renders 'ftp://sample-host', and 'ftp' is not http or https")]
    [InlineData("http://{{ labels.instance }}/v1/captures", "it renders 'http://sample-host/v1/captures', and that is not scheme://host[:port]")]
    [InlineData("http://:{{ labels.port }}", "it renders 'http://:sample-host', and that is not scheme://host[:port]")]
    [InlineData("{{ labels.instance | host }}", "it renders 'sample-host', and it has no scheme")]
    public void A_collector_template_that_cannot_render_to_an_http_address_is_refused(string collector, string expected)
    {
        var problem = Assert.Single(ProblemsOf("rules:\n" + Rule("r", collector)));

        Assert.Equal(4, problem.Line);
        Assert.Contains($"rules[0].target.collector '{collector}' cannot render to an http(s) address: with every label a plain host name {expected}", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://{{ labels.instance | host }}:7080")]
    [InlineData("https://{{ labels.pod }}.{{ labels.namespace }}.svc:7443")]
    [InlineData("{{ labels.collector }}")]
    [InlineData("{{ annotations.collector | default \"http://c:7080\" }}")]
    public void A_collector_template_that_can_render_to_an_http_address_loads(string collector)
    {
        Assert.Single(RulesLoader.Parse("rules.yaml", "rules:\n" + Rule("r", collector), Channels).Rules);
    }

    [Fact]
    public void A_go_address_template_without_a_scheme_is_refused()
    {
        var problem = Assert.Single(ProblemsOf("""
            rules:
              - name: r
                match: ['alertname = "x"']
                target: { collector: http://c, process: { runtime: go, address: "{{ labels.instance | host }}:6060" } }
            """));

        Assert.Contains("rules[0].target.process.address '{{ labels.instance | host }}:6060' cannot render to an http(s) URL: with every label a plain host name it renders 'sample-host:6060'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_channels_of_rules_and_defaults_must_be_configured()
    {
        var problems = ProblemsOf("defaults:\n  chat: slack\nrules:\n" + Rule("r", chat: "team") + Rule("s", chat: "oncall"));

        Assert.Equal([(2, 9, "slack"), (11, 11, "oncall")], problems.Select(p => (p.Line, p.Column, p.Message.Split('\'')[1])));
        Assert.All(problems, p => Assert.Contains("which is not configured (configured: console, team;", p.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Chat_channels_are_not_checked_when_the_caller_does_not_know_them()
    {
        Assert.Equal("nowhere", RulesLoader.Parse("rules.yaml", "rules:\n" + Rule("r", chat: "nowhere")).Rules[0].Chat);
    }

    [Fact]
    public void A_nested_quantifier_is_a_warning_that_does_not_refuse_the_file()
    {
        var rules = RulesLoader.Parse("rules.yaml", "rules:\n" + Rule("r").Replace("'alertname = \"x\"'", "'alertname =~ \"(a+)+\"'", StringComparison.Ordinal), Channels);

        var warning = Assert.Single(rules.Warnings);
        Assert.Equal((ProblemSeverity.Warning, 3), (warning.Severity, warning.Line));
        Assert.StartsWith("rules.yaml:3:13: warning: rules[0].match[0]: alertname=~\"(a+)+\" repeats a group that itself repeats", warning.Format("rules.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void Warnings_are_listed_among_the_errors_of_an_invalid_file()
    {
        var problems = ProblemsOf("rules:\n" + Rule("r").Replace("'alertname = \"x\"'", "'alertname =~ \"(a+)+\"'", StringComparison.Ordinal) + Rule("r"));

        Assert.Equal([ProblemSeverity.Warning, ProblemSeverity.Error], problems.Select(p => p.Severity));
    }

    [Fact]
    public void An_unclosed_flow_collection_the_yaml_reader_trips_on_is_reported_where_reading_stopped()
    {
        // Found by RulesFuzzTests: YamlDotNet throws InvalidOperationException without a position for this one; the
        // problem is placed where the last readable YAML event ends.
        var problem = Assert.Single(ProblemsOf("rules:\n  - name: r\n    captures: [{ kind: dump\n    baseline: { schedule: daily 03:00 }\n"));

        Assert.Equal((3, 15), (problem.Line, problem.Column));
        Assert.StartsWith("not valid YAML: cannot read on after here", problem.Message, StringComparison.Ordinal);
    }
}
