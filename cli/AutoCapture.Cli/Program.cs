using System.CommandLine;
using AutoCapture.Cli.Commands;
using AutoCapture.Cli.Demo;

var root = new RootCommand("AutoCapture: alert-driven diagnostics capture. Run `autocapture demo` to see the whole path on this machine.");

var cpuSeconds = new Option<int>("--cpu-seconds") { Description = "How long the demo's CPU capture runs.", DefaultValueFactory = _ => 5 };
var verbose = new Option<bool>("--verbose") { Description = "Show the webhook app's and collector's logs." };
var directory = new Option<string>("--dir") { Description = "Where the demo keeps its store, rules and sample alert.", DefaultValueFactory = _ => Path.Combine(".autocapture", "demo") };
var demo = new Command("demo", "Run AutoCapture end to end locally: sample target, collector, webhook app, sample alert, capture, chat message.")
{
    cpuSeconds, verbose, directory,
};
demo.SetAction((parse, token) => new DemoCommand(parse.GetValue(cpuSeconds), parse.GetValue(verbose), parse.GetValue(directory)!).RunAsync(token));
root.Subcommands.Add(demo);

var lifetime = new Option<int>("--max-minutes") { DefaultValueFactory = _ => 10 };
var demoTarget = new Command("demo-target", "The sample .NET process the demo captures.") { Hidden = true };
demoTarget.Options.Add(lifetime);
demoTarget.SetAction((parse, _) => DemoTarget.RunAsync(TimeSpan.FromMinutes(parse.GetValue(lifetime))));
root.Subcommands.Add(demoTarget);

root.Subcommands.Add(RulesCommands.Create());
root.Subcommands.Add(CapturesCommands.Create());
root.Subcommands.Add(AlertsCommands.Create());

return await root.Parse(args).InvokeAsync();
