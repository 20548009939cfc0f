using System.CommandLine;
using System.Text.Json;
using AutoCapture.Core.Alerts;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;
using AutoCapture.Functions.Sources;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace AutoCapture.Cli.Commands;

/// <summary><c>autocapture rules validate|test</c>: check a rules file, and see what an alert would do (like amtool config routes test).</summary>
internal static class RulesCommands
{
    /// <summary><c>rules test</c>: an alert that matches a rule has a target that cannot be resolved.</summary>
    public const int UnresolvedTarget = 2;

    public static Command Create()
    {
        return new Command("rules", "Work with rules files.") { Validate(), Test() };
    }

    /// <summary>Where the names of the configured chat channels come from, so <c>chat:</c> is checked as the app checks it.</summary>
    private sealed record ChannelSource(Option<FileInfo> Settings, Option<string?> Channels)
    {
        public static ChannelSource Add(Command command)
        {
            var source = new ChannelSource(
                new Option<FileInfo>("--settings") { Description = "The webhook app's settings file whose AutoCapture:Chat channels rules may name (default: appsettings.json in the current directory, if there is one; AutoCapture__Chat__… environment variables apply on top, as in the app)." }.AcceptExistingOnly(),
                new Option<string?>("--channels") { Description = "The chat channel names rules may name, comma-separated (console is always there); replaces what the settings say." });
            command.Options.Add(source.Settings);
            command.Options.Add(source.Channels);
            return source;
        }

        /// <exception cref="InvalidDataException">The settings file is not valid JSON.</exception>
        public IReadOnlyCollection<string> Names(ParseResult parse)
        {
            if (parse.GetValue(Channels) is { } listed)
            {
                return [ChatOptions.ConsoleChannel, .. listed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            }

            var settings = parse.GetValue(Settings);
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(settings?.FullName ?? Path.GetFullPath("appsettings.json"), optional: settings is null)
                .AddEnvironmentVariables()
                .Build();
            return RulesRegistration.ChatChannelNames(configuration.GetSection(AutoCaptureOptions.Section));
        }
    }

    private static Command Validate()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The YAML rules file." };
        var command = new Command("validate", "Check a rules file; prints every problem as FILE:LINE:COLUMN: message, in file order. Exit 0 when valid (warnings do not fail), 1 when not.") { file };
        var channels = ChannelSource.Add(command);
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(file)!, channels, parse) is not { } rules)
            {
                return 1;
            }

            AnsiConsole.MarkupLine($"[green]✓[/] {Markup.Escape(rules.Path)}: {Words.Count(rules.Rules.Count, "rule")}");
            foreach (var rule in rules.Rules)
            {
                AnsiConsole.MarkupLine($"  {Markup.Escape(rule.Name)}: {Markup.Escape(string.Join(", ", rule.Matchers))} → {Markup.Escape(Kinds(rule))}");
            }

            // Like a compiler's: on stderr, whole lines, so editors and CI annotate them as they do errors.
            foreach (var warning in rules.Warnings)
            {
                Console.Error.WriteLine(warning.Format(rules.Path));
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
        var command = new Command("test", $"Show which rule each alert of a payload matches, the target and captures it would get, and the limits that apply. Exit 0 when every matched alert's target resolves, {UnresolvedTarget} when one does not, 1 when the rules or the payload are invalid.") { file, alert, source };
        var channels = ChannelSource.Add(command);
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(file)!, channels, parse) is not { } rules)
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

            return Report(rules, sourceName, alerts) ? 0 : UnresolvedTarget;
        });
        return command;
    }

    /// <returns>Whether every matched alert's target resolved.</returns>
    private static bool Report(RuleSet rules, string sourceName, IReadOnlyList<Alert> alerts)
    {
        var rows = alerts.SelectMany(alert => Rows(rules, alert)).ToList();
        var resolved = rows.All(row => row.Resolved);
        Console.WriteLine($"{alerts.Count} {sourceName} alerts against {rules.Path} (limits shown are the rule's or the built-in defaults; the server's AutoCapture:Limits may differ):");
        if (Console.IsOutputRedirected)
        {
            // Piped or captured: one line per row, whole, so it can be grepped.
            foreach (var row in rows)
            {
                Console.WriteLine(string.Join(" | ", row.Cells));
            }
        }
        else
        {
            var table = new Table().AddColumns("alert", "rule", "target", "captures", "limits");
            foreach (var row in rows)
            {
                table.AddRow(row.Cells.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(table);
        }

        if (!resolved)
        {
            Console.Error.WriteLine($"{Words.Count(rows.Count(row => !row.Resolved), "matched alert")} cannot resolve the rule's target; such an alert would capture nothing.");
        }

        return resolved;
    }

    private sealed record Row(string[] Cells, bool Resolved = true);

    private static IEnumerable<Row> Rows(RuleSet rules, Alert alert)
    {
        var limits = new LimitOptions();
        var name = $"{alert.Name} ({alert.Status.ToString().ToLowerInvariant()})";
        if (alert.Status == AlertStatus.Resolved)
        {
            yield return new([name, "-", "-", "-", "resolved alerts never capture"]);
            yield break;
        }

        var matched = rules.Match(alert).ToList();
        if (matched.Count == 0)
        {
            yield return new([name, "no rule matched", "-", "-", "-"]);
        }

        foreach (var rule in matched)
        {
            var resolved = rule.Target.TryRender(alert, out var rendered, out var error);
            var target = resolved ? $"{rendered!.Process} on {rendered.Host} via {rendered.Collector}" : $"cannot resolve the target: {error}";
            var limitText = $"cooldown {Durations.Format(rule.Cooldown ?? limits.Cooldown)}, " +
                $"budget {rule.Budget ?? limits.RuleBudget}/{Durations.Format(rule.BudgetWindow ?? limits.RuleBudgetWindow)}, " +
                $"storm {rule.StormTargets ?? limits.StormTargets} targets, in flight {limits.MaxInFlight}";
            yield return new([name, rule.Name, target, Kinds(rule), limitText], resolved);
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

    private static RuleSet? Load(FileInfo file, ChannelSource channels, ParseResult parse)
    {
        try
        {
            return RulesLoader.LoadFile(file.FullName, channels.Names(parse));
        }
        catch (RulesFileException e)
        {
            Console.Error.WriteLine(e.Message);
            var errors = e.Problems.Count(p => p.Severity == ProblemSeverity.Error);
            Console.Error.WriteLine($"{Words.Count(errors, "error")}, {Words.Count(e.Problems.Count - errors, "warning")}");
            return null;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"the settings file is not valid JSON: {e.Message}");
            return null;
        }
    }

    private static string Kinds(CaptureRule rule) =>
        string.Join(", ", rule.Captures.Select(c => c.DurationSeconds is { } s ? $"{c.Kind} {s}s" : c.Kind));
}
