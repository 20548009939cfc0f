using AutoCapture.Functions.Rules;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Rules;

/// <summary>
/// Whatever a rules file holds, the loader either loads it or throws its own error listing problems with positions,
/// in file order; nothing else escapes (the app would crash at start or the reloader would stop). 10,000 inputs per strategy.
/// </summary>
public class RulesFuzzTests
{
    private const string Valid = """
        defaults: { cooldown: 15m, chat: console }
        rules:
          - name: checkout-cpu
            match: ['alertname = "HighCPU"', 'service =~ "checkout|cart"', 'env != "dev"']
            budget: 3
            budgetWindow: 1h
            continue: true
            target:
              collector: "http://{{ labels.instance | host }}:7080"
              host: '{{ labels.pod | default "web" }}'
              process: { name: "{{ labels.service }}" }
            captures: [{ kind: cpu, duration: 10s }, stacks, { kind: dump, dumpType: mini }]
            baseline: { schedule: daily 03:00, targets: [{ instance: "10.0.0.7:9100", service: a }, { instance: "10.0.0.8:9100", service: b }], peer: true }
          - name: go
            match: [alertname = GoLeak]
            target: { collector: http://c:7080, process: { runtime: go, address: "http://{{ labels.instance }}" } }
            captures: [heap, goroutines]
        """;

    private static readonly string[] Channels = ["console", "team"];

    private static bool LoadsOrExplains(string yaml)
    {
        try
        {
            RulesLoader.Parse("rules.yaml", yaml, Channels);
            return true;
        }
        catch (RulesFileException e)
        {
            return e.Problems.Count > 0
                && e.Problems.All(p => p.Line >= 1 && p.Column >= 1 && p.Message.Length > 0)
                && e.Problems.SequenceEqual(e.Problems.OrderBy(p => p.Line).ThenBy(p => p.Column))
                && e.Message.StartsWith("rules.yaml:", StringComparison.Ordinal);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e} for input:\n{yaml}");
        }
    }

    [Fact]
    public void The_sample_loads()
    {
        Assert.Equal(2, RulesLoader.Parse("rules.yaml", Valid, Channels).Rules.Count);
    }

    [Fact]
    public void Arbitrary_text_never_escapes_as_an_unexpected_exception()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>().Filter(s => s is not null), LoadsOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Fact]
    public void Garbled_valid_files_never_escape_as_unexpected_exceptions()
    {
        string[] pieces = [":", "- ", "[", "]", "{", "}", "'", "\"", "\n", "\n  ", " ", "#", "&a ", "*a", "!!int ", "|", ">", "%", "@", "\t", "=", "==", "~", "{{", "}}", "|host", "0", "-1", "99999999999", "1e9", "null", "~", "true", "ms", "http://", "\\", "\u00e9", "\ud83d\ude00"];
        var mutations = from position in Gen.Choose(0, Valid.Length - 1)
                        from length in Gen.Choose(0, 24)
                        from replacement in Gen.ArrayOf(Gen.Elements(pieces))
                        select Valid[..position] + string.Concat(replacement) + Valid[Math.Min(Valid.Length, position + length)..];
        Prop.ForAll(mutations.ToArbitrary(), LoadsOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Fact]
    public void Lines_of_valid_files_shuffled_and_dropped_never_escape_as_unexpected_exceptions()
    {
        var lines = Valid.Split('\n');
        var files = from picks in Gen.ArrayOf(Gen.Choose(0, lines.Length - 1))
                    select string.Join('\n', picks.Select(i => lines[i]));
        Prop.ForAll(files.ToArbitrary(), LoadsOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }
}
