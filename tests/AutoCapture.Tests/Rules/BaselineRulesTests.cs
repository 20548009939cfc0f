using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Rules;

public sealed class BaselineRulesTests
{
    private static string Rule(string baseline) => """
        rules:
          - name: orders-go
            match: [ 'alertname = "GoroutinesHigh"' ]
            target:
              collector: "http://{{ labels.node }}:7080"
              host: "{{ labels.pod }}"
              process: { runtime: go, address: "http://{{ labels.instance }}" }
            captures: [ goroutines, heap ]

        """ + baseline;

    private static RuleProblem[] ProblemsOf(string yaml) =>
        [.. Assert.Throws<RulesFileException>(() => RulesLoader.Parse("rules.yaml", yaml)).Problems];

    [Fact]
    public void Baseline_targets_are_rendered_with_the_rules_templates_when_the_file_loads()
    {
        var rule = RulesLoader.Parse("rules.yaml", Rule("""
                baseline:
                  schedule: daily 03:30
                  peer: true
                  targets:
                    - { node: n1, pod: orders-0, instance: "10.0.0.7:6060" }
                    - { node: n2, pod: orders-1, instance: "10.0.0.8:6060" }
            """)).Rules[0];

        var plan = rule.Baseline!;
        Assert.True(plan.Peer);
        Assert.Equal(("daily 03:30", TimeSpan.FromDays(1), new TimeSpan(3, 30, 0)), (plan.Schedule!.Text, plan.Schedule.Interval, plan.Schedule.Offset));
        Assert.Equal(
            new[] { new CaptureTarget("http://n1:7080", "orders-0", new ProcessSelector(Runtimes.Go, Address: "http://10.0.0.7:6060")), new CaptureTarget("http://n2:7080", "orders-1", new ProcessSelector(Runtimes.Go, Address: "http://10.0.0.8:6060")) },
            plan.Targets.Select(t => t.Target));
        Assert.Equal("orders-1", plan.PeerFor(plan.Targets[0].Target)!.Target.Host);
        Assert.Equal("orders-0", plan.PeerFor(plan.Targets[1].Target)!.Target.Host);
        Assert.Equal("orders-0", plan.PeerFor(new CaptureTarget("http://n9:7080", "orders-9", new ProcessSelector(Runtimes.Go, Address: "http://10.0.0.9:6060")))!.Target.Host);
    }

    [Fact]
    public void Every_baseline_problem_is_reported_with_its_line()
    {
        var problems = ProblemsOf(Rule("""
                baseline:
                  schedule: weekly
                  peer: maybe
                  extra: 1
                  targets:
                    - { node: n1, pod: orders-0 }
                    - { node: n1, pod: orders-0, instance: "10.0.0.7:6060" }
                    - { node: n1, pod: orders-0, instance: "10.0.0.7:6060" }
                    - just-a-string
            """));

        Assert.Equal(
            new[]
            {
                (10, "rules[0].baseline.schedule: 'weekly' is not a schedule (write daily 03:00 or every 6h)"),
                (11, "rules[0].baseline.peer must be true or false"),
                (12, "rules[0].baseline: unknown key 'extra' (expected one of schedule, targets, peer)"),
                (14, "rules[0].baseline.targets[0]: cannot render the rule's target from these labels: process.address: labels.instance is not set on alert orders-go baseline"),
                (16, "rules[0].baseline.targets[2]: renders the same target as an earlier one (address=http://10.0.0.7:6060 on orders-0)"),
                (17, "rules[0].baseline.targets[3] must be a mapping of label names to values"),
            },
            problems.Select(p => (p.Line, p.Message)));
    }

    [Theory]
    [InlineData("baseline: { schedule: daily 03:00 }", "rules[0].baseline.targets must be a non-empty list of label sets")]
    [InlineData("baseline: { targets: [ { node: a, pod: b, instance: \"1.2.3.4:6060\" } ] }", "rules[0].baseline needs a schedule (daily 03:00, every 6h), peer: true, or both")]
    [InlineData("baseline: { peer: true, targets: [ { node: a, pod: b, instance: \"1.2.3.4:6060\" } ] }", "rules[0].baseline: peer: true needs at least two targets")]
    [InlineData("baseline: { schedule: every 10s, targets: [ { node: a, pod: b, instance: \"1.2.3.4:6060\" } ] }", "rules[0].baseline.schedule: 'every 10s': the interval must be from 1 min to 168 h")]
    [InlineData("baseline: { schedule: daily 24:00, targets: [ { node: a, pod: b, instance: \"1.2.3.4:6060\" } ] }", "rules[0].baseline.schedule: 'daily 24:00' is not a time of day (00:00 to 23:59, UTC)")]
    [InlineData("baseline: yes", "rules[0].baseline must be a mapping")]
    public void Incomplete_baselines_say_what_is_missing(string baseline, string expected)
    {
        Assert.Contains(ProblemsOf(Rule("    " + baseline)), p => p.Message.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("daily 03:00", "2026-11-21T02:59:00Z", "2026-11-20T03:00:00Z")]
    [InlineData("daily 03:00", "2026-11-21T03:00:00Z", "2026-11-21T03:00:00Z")]
    [InlineData("daily 03:00", "2026-11-21T23:10:00Z", "2026-11-21T03:00:00Z")]
    [InlineData("every 6h", "2026-11-21T13:59:59Z", "2026-11-21T12:00:00Z")]
    [InlineData("every 1m", "2026-11-21T13:05:30Z", "2026-11-21T13:05:00Z")]
    public void Slots_are_the_same_on_every_instance(string schedule, string now, string slot)
    {
        Assert.True(BaselineSchedule.TryParse(schedule, out var parsed, out _));

        Assert.Equal(DateTimeOffset.Parse(slot, System.Globalization.CultureInfo.InvariantCulture), parsed!.LatestSlot(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void The_latest_slot_is_never_in_the_future_nor_more_than_an_interval_ago()
    {
        var schedules = Gen.Elements("daily 00:00", "daily 03:17", "daily 23:59", "every 1m", "every 7m", "every 6h", "every 1d", "every 7d");
        var instants = Gen.Choose(0, int.MaxValue).Select(seconds => DateTimeOffset.UnixEpoch.AddDays(20_000).AddSeconds(seconds));
        Prop.ForAll(schedules.ToArbitrary(), instants.ToArbitrary(), (text, now) =>
        {
            if (!BaselineSchedule.TryParse(text, out var schedule, out _))
            {
                return false;
            }

            var slot = schedule!.LatestSlot(now);
            return slot <= now && now - slot < schedule.Interval && schedule.LatestSlot(slot) == slot;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
    }

    [Fact]
    public void Arbitrary_schedule_text_is_parsed_or_explained()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            var parsed = BaselineSchedule.TryParse(text ?? string.Empty, out var schedule, out var error);
            return parsed ? schedule!.Interval >= BaselineSchedule.MinInterval : error.Length > 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
    }
}
