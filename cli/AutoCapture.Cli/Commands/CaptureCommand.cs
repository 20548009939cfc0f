using System.CommandLine;
using System.Text.Json.Nodes;
using AutoCapture.Cli.Captures;
using AutoCapture.Core.Captures;
using Spectre.Console;

namespace AutoCapture.Cli.Commands;

/// <summary>
/// <c>autocapture capture</c>: asks the webhook app for a capture now (<c>POST /api/captures</c> with a write token),
/// waits for it with a progress display, and prints the summary <c>captures show</c> prints. Exit codes:
/// 0 complete, 1 failed, 2 refused (limits or dedup), 3 usage or authorization errors.
/// </summary>
internal static class CaptureCommand
{
    public const int Failed = 1;

    private static readonly string[] ProcessKeys = ["pid", "name", "commandLine", "address"];

    public static Command Create(Func<HttpClient>? http = null, TimeSpan? pollInterval = null)
    {
        var app = new Option<string?>("--app", "--url")
        {
            Description = $"The webhook app's base URL (default: ${CapturesCommands.UrlVariable}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(CapturesCommands.UrlVariable),
        };
        // No DefaultValueFactory: --help prints defaults, and this one would be the secret itself.
        var token = new Option<string?>("--token") { Description = $"A write token, one of the server's AutoCapture:Api:WriteTokens (default: ${CapturesCommands.TokenVariable}, which keeps it off the command line)." };
        var collector = new Option<string?>("--collector") { Description = "The collector to capture through, scheme://host:port; the rules or AutoCapture:Collector:AllowedCollectors must allow it." };
        var process = new Option<string?>("--process") { Description = "Which process: name=NAME, pid=PID, commandLine=TEXT or address=URL (go); a bare value is a name." };
        var runtime = new Option<string>("--runtime") { Description = "dotnet or go.", DefaultValueFactory = _ => Runtimes.Dotnet };
        var kinds = new Option<string?>("--kinds") { Description = "What to capture, as rules name it: cpu:30s,stacks (a duration for cpu, trace and counters)." };
        var reason = new Option<string?>("--reason") { Description = "Why: kept with the capture and shown in chat." };
        var command = new Command("capture", "Capture now: ask the webhook app for a capture, wait for it, and print its summary.") { app, token, collector, process, runtime, kinds, reason };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var url = parse.GetValue(app);
            var secret = parse.GetValue(token) ?? Environment.GetEnvironmentVariable(CapturesCommands.TokenVariable);
            if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            {
                return Usage($"--app (or ${CapturesCommands.UrlVariable}) must be the webhook app's http(s) address, e.g. https://autocapture.example.com");
            }

            if (string.IsNullOrEmpty(secret))
            {
                return Usage($"--token (or ${CapturesCommands.TokenVariable}) is required: one of the server's AutoCapture:Api:WriteTokens");
            }

            if (parse.GetValue(collector) is not { Length: > 0 } collectorUrl || parse.GetValue(process) is not { Length: > 0 } selector || parse.GetValue(kinds) is not { Length: > 0 } kindList)
            {
                return Usage("--collector, --process and --kinds are required, e.g. --collector http://10.0.0.5:7080 --process name=checkout --kinds cpu:30s,stacks");
            }

            if (Selector(selector, parse.GetValue(runtime)!) is not { } selectorJson)
            {
                return Usage($"--process '{selector}' must be one of {string.Join(", ", ProcessKeys.Select(k => k + "=…"))} (or a bare name)");
            }

            var body = new JsonObject
            {
                ["collector"] = collectorUrl,
                ["process"] = selectorJson,
                ["kinds"] = new JsonArray([.. kindList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(k => JsonValue.Create(k))]),
            };
            if (parse.GetValue(reason) is { Length: > 0 } why)
            {
                body["reason"] = why;
            }

            using var client = http?.Invoke() ?? new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
            var api = new CaptureApiClient(client, baseUrl, secret);
            try
            {
                var started = await api.StartAsync(body, cancellationToken);
                Console.Error.WriteLine($"capture {started.Id} {started.Decision}; status at {started.Status}");
                var manifest = await WaitAsync(api, started.Id, pollInterval ?? TimeSpan.FromSeconds(1), cancellationToken);
                CaptureReport.Print(manifest);
                return manifest.Status == CaptureStatus.Complete ? 0 : Failed;
            }
            catch (CliException e)
            {
                Console.Error.WriteLine(e.Message);
                return e.ExitCode;
            }
        });
        return command;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return CaptureApiClient.UsageExit;
    }

    private static JsonObject? Selector(string text, string runtime)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var (key, value) = equals < 0 ? ("name", text) : (text[..equals], text[(equals + 1)..]);
        if (!ProcessKeys.Contains(key, StringComparer.Ordinal) || value.Length == 0)
        {
            return null;
        }

        if (key == "pid")
        {
            return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                ? new JsonObject { ["runtime"] = runtime, ["pid"] = pid }
                : null;
        }

        return new JsonObject { ["runtime"] = runtime, [key] = value };
    }

    /// <summary>Follows the capture until it ends: a spinner naming its state on a terminal, one line per state otherwise.</summary>
    private static async Task<CaptureManifest> WaitAsync(CaptureApiClient api, string id, TimeSpan interval, CancellationToken cancellationToken)
    {
        CaptureStatus? shown = null;
        async Task<CaptureManifest> PollAsync(Action<CaptureStatus> show)
        {
            while (true)
            {
                var manifest = await api.GetAsync(id, cancellationToken);
                if (manifest.Status != shown)
                {
                    shown = manifest.Status;
                    show(manifest.Status);
                }

                if (manifest.Status.IsTerminal())
                {
                    return manifest;
                }

                await Task.Delay(interval, cancellationToken);
            }
        }

        if (Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            return await PollAsync(status => Console.Error.WriteLine($"capture {id}: {status.ToString().ToLowerInvariant()}"));
        }

        return await AnsiConsole.Status().StartAsync($"capture {id}: asking", context =>
            PollAsync(status => context.Status($"capture {Markup.Escape(id)}: {status.ToString().ToLowerInvariant()}")));
    }
}
