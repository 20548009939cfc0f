using System.CommandLine;
using System.Text.Json;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;
using AutoCapture.Functions.Sources;
using Spectre.Console;

namespace AutoCapture.Cli.Commands;

/// <summary><c>autocapture rules validate|test</c>: check a rules file, and see what an alert would do (like amtool config routes test).</summary>
internal static class RulesCommands
{
    public static Command Create()
    {
        return new Command("rules", "Work with rules files.") { Validate(), Test() };
    }

    private static Command Validate()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The YAML rules file." };
        var command = new Command("validate", "Check a rules file; prints each problem with its line and column.") { file };
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(file)!) is not { } rules)
            {
                return 1;
            }

            AnsiConsole.MarkupLine($"[green]✓[/] {Markup.Escape(rules.Path)}: {Words.Count(rules.Rules.Count, "rule")}");
            foreach (var rule in rules.Rules)
            {
                AnsiConsole.MarkupLine($"  {Markup.Escape(rule.Name)}: {Markup.Escape(string.Join(", ", rule.Matchers))} → {Markup.Escape(Kinds(rule))}");
            }

            foreach (var (rule, matcher) in rules.Rules.SelectMany(r => r.Matchers.Where(m => m.NestsQuantifiers).Select(m => (r, m))))
            {
                AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape($"{rules.Path}:{rule.Line}: rule {rule.Name}: {matcher} repeats a group that itself repeats; such a pattern can backtrack for a long time on a label that almost matches. Every delivery gets AutoCapture:Limits:MatchBudget of regular-expression matching in all; alerts past it are skipped.")}");
            }

            return 0;
        });
        return command;
    }

    private static Command Test()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The YAML rules file." };
        // Checked by the parser, so a missing file or an unknown source is a one-line usage error, not a stack trace.
        var alert = new Option<FileInfo>("--alert") { Description = "A webhook payload (Alertmanager, Grafana or Azure Monitor JSON).", Required = true }.AcceptExistingOnly();
        var source = new Option<string?>("--source") { Description = "alertmanager, grafana or azuremonitor (default: recognised from the payload)." }
            .AcceptOnlyFromAmong("alertmanager", "grafana", "azuremonitor");
        var command = new Command("test", "Show which rule each alert of a payload matches, the target and captures it would get, and the limits that apply.") { file, alert, source };
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(file)!) is not { } rules)
            {
                return 1;
            }

            var payload = File.ReadAllBytes(parse.GetValue(alert)!.FullName);
            var sourceName = parse.GetValue(source) ?? Recognise(payload);
            IAlertSource parser = sourceName switch
            {
                "alertmanager" => new AlertmanagerSource(),
                "grafana" => new GrafanaSource(),
                "azuremonitor" => new AzureMonitorSource(),
                _ => throw new ArgumentException($"unknown source '{sourceName}' (alertmanager, grafana, azuremonitor)"),
            };

            IReadOnlyList<Alert> alerts;
            try
            {
                alerts = parser.Parse(payload);
            }
            catch (AlertPayloadException e)
            {
                Console.Error.WriteLine($"{sourceName} payload is invalid: {e.Message}");
                return 1;
            }

            Report(rules, sourceName, alerts);
            return 0;
        });
        return command;
    }

    private static void Report(RuleSet rules, string sourceName, IReadOnlyList<Alert> alerts)
    {
        var rows = alerts.SelectMany(alert => Rows(rules, alert)).ToList();
        Console.WriteLine($"{alerts.Count} {sourceName} alerts against {rules.Path} (limits shown are the rule's or the built-in defaults; the server's AutoCapture:Limits may differ):");
        if (Console.IsOutputRedirected)
        {
            // Piped or captured: one line per row, whole, so it can be grepped.
            foreach (var row in rows)
            {
                Console.WriteLine(string.Join(" | ", row));
            }

            return;
        }

        var table = new Table().AddColumns("alert", "rule", "target", "captures", "limits");
        foreach (var row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        AnsiConsole.Write(table);
    }

    private static IEnumerable<string[]> Rows(RuleSet rules, Alert alert)
    {
        var limits = new LimitOptions();
        var name = $"{alert.Name} ({alert.Status.ToString().ToLowerInvariant()})";
        if (alert.Status == AlertStatus.Resolved)
        {
            yield return [name, "-", "-", "-", "resolved alerts never capture"];
            yield break;
        }

        var matched = rules.Match(alert).ToList();
        if (matched.Count == 0)
        {
            yield return [name, "no rule matched", "-", "-", "-"];
        }

        foreach (var rule in matched)
        {
            var target = rule.Target.TryRender(alert, out var rendered, out var error)
                ? $"{rendered!.Process} on {rendered.Host} via {rendered.Collector}"
                : $"cannot resolve the target: {error}";
            var limitText = $"cooldown {Durations.Format(rule.Cooldown ?? limits.Cooldown)}, " +
                $"budget {rule.Budget ?? limits.RuleBudget}/{Durations.Format(rule.BudgetWindow ?? limits.RuleBudgetWindow)}, " +
                $"storm {rule.StormTargets ?? limits.StormTargets} targets, in flight {limits.MaxInFlight}";
            yield return [name, rule.Name, target, Kinds(rule), limitText];
        }
    }

    private static string Recognise(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schemaId", out _))
            {
                return "azuremonitor";
            }

            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String && version.GetString() == "1"
                ? "grafana"
                : "alertmanager";
        }
        catch (JsonException)
        {
            return "alertmanager";
        }
    }

    private static RuleSet? Load(FileInfo file)
    {
        try
        {
            return RulesLoader.LoadFile(file.FullName);
        }
        catch (RulesFileException e)
        {
            Console.Error.WriteLine(e.Message);
            return null;
        }
    }

    private static string Kinds(CaptureRule rule) =>
        string.Join(", ", rule.Captures.Select(c => c.DurationSeconds is { } s ? $"{c.Kind} {s}s" : c.Kind));
}
