using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

public class RulesLoaderTests
{
    private const string Valid = """
        defaults:
          cooldown: 15m
        rules:
          - name: checkout-cpu
            match:
              - alertname = "HighCPU"
              - service =~ "checkout|cart"
            target:
              collector: "http://{{ labels.instance | host }}:7080"
              process:
                name: "{{ labels.service }}"
            captures:
              - kind: cpu
                duration: 10s
              - stacks
          - name: default-cpu
            match: [ 'alertname =~ ".+"' ]
            cooldown: 1h
            chat: slack
            target:
              collector: http://collector:7080
              host: "{{ labels.pod }}"
              process:
                pid: "{{ annotations.pid }}"
        """;

    private static RuleSet Load(string yaml) => RulesLoader.Parse("rules.yaml", yaml);

    private static RuleProblem[] ProblemsOf(string yaml) =>
        [.. Assert.Throws<RulesFileException>(() => Load(yaml)).Problems];

    [Fact]
    public void Loads_rules_with_defaults_applied()
    {
        var rules = Load(Valid).Rules;

        Assert.Equal(2, rules.Count);
        var cpu = rules[0];
        Assert.Equal("checkout-cpu", cpu.Name);
        Assert.Equal(2, cpu.Matchers.Count);
        Assert.Equal([new CaptureSpec(CaptureKinds.Cpu, 10), new CaptureSpec(CaptureKinds.Stacks)], cpu.Captures);
        Assert.Equal(TimeSpan.FromMinutes(15), cpu.Cooldown);
        Assert.Equal(4, cpu.Line);
        var fallback = rules[1];
        Assert.Equal([new CaptureSpec(CaptureKinds.Cpu, 30)], fallback.Captures);
        Assert.Equal(TimeSpan.FromHours(1), fallback.Cooldown);
        Assert.Equal("slack", fallback.Chat);
    }

    [Fact]
    public void First_matching_rule_wins_and_targets_render_from_the_alert()
    {
        var ruleSet = Load(Valid);
        var alert = TemplateTests.Alert(new() { ["alertname"] = "HighCPU", ["service"] = "checkout", ["instance"] = "web-3:9100" });

        var matched = ruleSet.Match(alert).ToList();

        Assert.Equal(["checkout-cpu"], matched.Select(r => r.Name));
        Assert.True(matched[0].Target.TryRender(alert, out var target, out var error), error);
        Assert.Equal("http://web-3:7080", target!.Collector);
        Assert.Equal("web-3", target.Host);
        Assert.Equal(new ProcessSelector(Runtimes.Dotnet, Name: "checkout"), target.Process);
    }

    [Fact]
    public void Pid_targets_must_render_to_a_number()
    {
        var rule = Load(Valid).Rules[1];
        var alert = TemplateTests.Alert(annotations: new() { ["pid"] = "12; rm -rf /" });

        Assert.False(rule.Target.TryRender(alert, out _, out var error));
        Assert.Contains("is not a process id", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_collector_that_renders_to_something_other_than_http_is_refused()
    {
        var rules = Load("""
            rules:
              - name: r
                match: ['a="b"']
                target:
                  collector: "{{ labels.where }}"
                  process: { name: x }
            """);
        var alert = TemplateTests.Alert(new() { ["where"] = "file:///etc/passwd" });

        Assert.False(rules.Rules[0].Target.TryRender(alert, out _, out var error));
        Assert.Contains("is not an http(s) address", error, StringComparison.Ordinal);
    }

    private static string? RenderCollector(string template, string instance)
    {
        var rules = Load($$"""
            rules:
              - name: r
                match: ['a="b"']
                target:
                  collector: "{{template}}"
                  process: { name: x }
            """);
        return rules.Rules[0].Target.TryRender(TemplateTests.Alert(new() { ["instance"] = instance }), out var target, out _) ? target!.Collector : null;
    }

    // The security review's probes (issue 12, item 1): a label must not move the port, add a path or reach the metadata address.
    [Theory]
    [InlineData("http://{{ labels.instance | host }}:7080", "127.0.0.1:22#:")]
    [InlineData("http://{{ labels.instance | host }}:7080", "169.254.169.254:80#:")]
    [InlineData("http://{{ labels.instance | host }}:7080", "user@10.0.0.7")]
    [InlineData("http://{{ labels.instance }}:7080", "127.0.0.1/ssrf-secret/#")]
    [InlineData("http://{{ labels.instance }}:7080", "127.0.0.1:22#")]
    [InlineData("http://{{ labels.instance }}:7080", "127.0.0.1:22/")]
    [InlineData("http://{{ labels.instance }}:7080", "evil.example?")]
    [InlineData("http://{{ labels.instance }}:7080", "user:pw@10.0.0.7")]
    [InlineData("http://{{ labels.instance }}.svc:7080", "evil.example#")]
    [InlineData("{{ labels.instance }}", "http://10.0.0.7:7080/ssrf-secret")]
    [InlineData("{{ labels.instance }}", "http://10.0.0.7:7080/?x=1")]
    public void A_label_cannot_add_a_port_path_query_fragment_or_user_to_the_collector_address(string template, string instance)
    {
        Assert.Null(RenderCollector(template, instance));
    }

    [Theory]
    [InlineData("http://{{ labels.instance | host }}:7080", "10.0.0.7:9100", "http://10.0.0.7:7080")]
    [InlineData("http://{{ labels.instance | host }}:7080", "http://web-3.internal:9100/metrics", "http://web-3.internal:7080")]
    [InlineData("http://{{ labels.instance | host }}:7080", "10.0.0.7:22?x", "http://10.0.0.7:7080")]
    [InlineData("http://{{ labels.instance }}:7080", "web-3", "http://web-3:7080")]
    [InlineData("{{ labels.instance }}", "https://collector.internal:7443/", "https://collector.internal:7443")]
    [InlineData("{{ labels.instance }}", "http://collector.internal:80", "http://collector.internal")]
    public void A_plain_host_fills_the_collector_address(string template, string instance, string expected)
    {
        Assert.Equal(expected, RenderCollector(template, instance));
    }

    [Fact]
    public void A_literal_collector_with_a_path_is_refused_at_load_with_its_line()
    {
        var problem = Assert.Single(ProblemsOf("""
            rules:
              - name: r
                match: ['a="b"']
                target:
                  collector: "http://collector:7080/v1/captures"
                  process: { name: x }
            """));

        Assert.Equal(5, problem.Line);
        Assert.Contains("rules[0].target.collector 'http://collector:7080/v1/captures' is not an http(s) address of the form scheme://host[:port]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_are_reported_with_line_and_column()
    {
        var problems = ProblemsOf("""
            rules:
              - name: r1
                match:
                  - alertname == "x"
                target:
                  collector: http://c:7080
                  process: { name: app }
                captures:
                  - kind: cpux
                  - kind: stacks
                    duration: 5s
              - name: r1
                mtach: ['a="b"']
                target:
                  collector: http://c:7080
                  process: { name: app, pid: "1" }
            """);

        Assert.Contains(problems, p => p.Line == 4 && p.Message.Contains("rules[0].match[0]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 9 && p.Message.Contains("unknown capture kind 'cpux'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 11 && p.Message.Contains("takes no duration", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 13 && p.Message.Contains("unknown key 'mtach'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("'match' is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 16 && p.Message.Contains("exactly one of pid, name, commandLine or address", StringComparison.Ordinal));
    }

    [Fact]
    public void The_exception_message_names_the_file_and_line()
    {
        var error = Assert.Throws<RulesFileException>(() => Load("rules:\n  - name: x\n    match: ['a=\"b\"']\n    target: 5\n"));
        Assert.StartsWith("rules.yaml:4:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rules: [", "not valid YAML")]
    [InlineData("- a\n- b", "must be a mapping with a 'rules' list")]
    [InlineData("rules: 5", "'rules' must be a list")]
    [InlineData("rules: []\nextra: 1", "unknown key 'extra'")]
    [InlineData("rules:\n  - name: r\n    match: ['a=\"b\"']\n    target: {collector: 'http://c', process: {name: x}}\n    captures: [{kind: cpu, duration: 2h}]", "longer than the maximum")]
    [InlineData("rules:\n  - name: r\n    match: ['a=\"b\"']\n    target: {collector: 'http://c', process: {name: x}}\n    captures: [{kind: cpu, duration: soon}]", "is not a duration")]
    [InlineData("rules:\n  - name: r\n    match: ['a=\"b\"']\n    target: {collector: 'http://{{ labels.x', process: {name: x}}", "without a closing")]
    [InlineData("rules:\n  - name: r\n    match: ['a=\"b\"']\n    target: {collector: 'http://c', process: {name: x, runtime: ruby}}", "unknown runtime 'ruby'")]
    [InlineData("rules:\n  - name: r\n    match: ['a=\"b\"']\n    continue: maybe\n    target: {collector: 'http://c', process: {name: x}}", "continue must be true or false")]
    public void Each_kind_of_mistake_is_explained(string yaml, string expected)
    {
        Assert.Contains(ProblemsOf(yaml), p => p.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_is_reported_by_name()
    {
        var error = Assert.Throws<RulesFileException>(() => RulesLoader.LoadFile("/nonexistent/rules.yaml"));
        Assert.Contains("/nonexistent/rules.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Continue_lets_later_rules_match_too()
    {
        var rules = Load("""
            rules:
              - name: first
                continue: true
                match: ['alertname="A"']
                target: {collector: 'http://c', process: {name: x}}
              - name: second
                match: ['alertname=~".*"']
                target: {collector: 'http://c', process: {name: y}}
              - name: third
                match: ['alertname=~".*"']
                target: {collector: 'http://c', process: {name: z}}
            """);
        var alert = TemplateTests.Alert(new() { ["alertname"] = "A" });

        Assert.Equal(["first", "second"], rules.Match(alert).Select(r => r.Name));
        Assert.Equal(AlertStatus.Firing, alert.Status);
    }

    [Fact]
    public void Go_targets_by_address_render_a_normalised_address_and_take_go_kinds()
    {
        var rules = RulesLoader.Parse("rules.yaml", """
            rules:
              - name: go-leak
                match: ['alertname = "GoroutineLeak"']
                target:
                  collector: "http://{{ labels.node }}:7080"
                  process: { runtime: go, address: "http://{{ labels.instance }}/ignored/path" }
                captures: [goroutines, { kind: cpu, duration: 5s }, heap, trace, block]
            """);

        var rule = Assert.Single(rules.Rules);
        Assert.Equal(new[] { "goroutines", "cpu", "heap", "trace", "block" }, rule.Captures.Select(c => c.Kind));
        Assert.Equal(new int?[] { null, 5, null, 5, null }, rule.Captures.Select(c => c.DurationSeconds));
        var alert = new Alert("alertmanager", "GoroutineLeak", AlertStatus.Firing, new Dictionary<string, string> { ["node"] = "web-3", ["instance"] = "10.1.2.3:6060" }, new Dictionary<string, string>(), DateTimeOffset.UtcNow, null, "fp", "fp@0");
        Assert.True(rule.Target.TryRender(alert, out var target, out var error), error);
        Assert.Equal(new ProcessSelector(Runtimes.Go, Address: "http://10.1.2.3:6060"), target!.Process);
    }

    [Theory]
    [InlineData("process: { runtime: go, address: 'http://a:6060' }\n    captures: [dump]", "kind 'dump' is not available for go targets by address")]
    [InlineData("process: { runtime: go, pid: '1' }\n    captures: [block]", "kind 'block' is not available for go processes (gops agent)")]
    [InlineData("process: { address: 'http://a:6060' }", "process.address is for runtime: go")]
    [InlineData("process: { runtime: go, address: 'http://u:p@a:6060' }", "must not carry credentials")]
    [InlineData("process: { runtime: go, address: 'a:6060' }", "not an absolute http(s) URL")]
    [InlineData("process: { name: x }\n    captures: [{ kind: dump, dumpType: huge }]", "dumpType: 'huge' is unknown (known: mini, with-heap, full, triage)")]
    [InlineData("process: { name: x }\n    captures: [{ kind: heap, dumpType: mini }]", "dumpType applies to kind 'dump' only")]
    [InlineData("process: { name: x }\n    captures: [{ kind: heap, duration: 5s }]", "is a snapshot and takes no duration")]
    public void Go_and_dump_mistakes_are_reported(string process, string expected)
    {
        var yaml = $"rules:\n  - name: r\n    match: ['a=\"b\"']\n    target:\n      collector: 'http://c'\n      {process.Replace("\n    captures", "\n    captures", StringComparison.Ordinal)}";

        var failure = Assert.Throws<RulesFileException>(() => RulesLoader.Parse("rules.yaml", yaml));

        Assert.Contains(failure.Problems, p => p.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Dump_type_and_kind_defaults_reach_the_specs()
    {
        var rules = RulesLoader.Parse("rules.yaml", """
            rules:
              - name: r
                match: ['a="b"']
                target: { collector: 'http://c', process: { name: x } }
                captures: [{ kind: dump, dumpType: mini }, counters]
            """);

        Assert.Equal(new[] { new CaptureSpec("dump", null, "mini"), new CaptureSpec("counters", 5) }, rules.Rules[0].Captures);
    }
}
