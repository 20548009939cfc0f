using System.CommandLine;
using AutoCapture.Functions.Rules;
using Spectre.Console;

namespace AutoCapture.Cli.Commands;

internal static class RulesCommands
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The YAML rules file." };
        var validate = new Command("validate", "Check a rules file; prints each problem with its line and column.") { file };
        validate.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            try
            {
                var rules = RulesLoader.LoadFile(path);
                AnsiConsole.MarkupLine($"[green]✓[/] {Markup.Escape(path)}: {rules.Rules.Count} rules");
                foreach (var rule in rules.Rules)
                {
                    AnsiConsole.MarkupLine($"  {Markup.Escape(rule.Name)}: {Markup.Escape(string.Join(", ", rule.Matchers))} → {Markup.Escape(string.Join(", ", rule.Captures.Select(c => c.DurationSeconds is { } s ? $"{c.Kind} {s}s" : c.Kind)))}");
                }

                return 0;
            }
            catch (RulesFileException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return new Command("rules", "Work with rules files.") { validate };
    }
}
