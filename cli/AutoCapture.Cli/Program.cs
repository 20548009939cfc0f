using System.CommandLine;
using AutoCapture.Cli.Captures;
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
var capture = CaptureCommand.Create();
root.Subcommands.Add(capture);
root.Subcommands.Add(AlertsCommands.Create());

var parsed = root.Parse(args);
// A mistyped `capture` exits like its other usage errors, so a script tells it apart from a capture that failed.
if (parsed.Errors.Count > 0 && parsed.CommandResult.Command == capture)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    return CaptureApiClient.UsageExit;
}

return await parsed.InvokeAsync();
