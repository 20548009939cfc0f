using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using AutoCapture.Cli.Alerts;
using AutoCapture.Cli.Captures;
using AutoCapture.Functions.Options;

namespace AutoCapture.Cli.Commands;

/// <summary>
/// <c>autocapture alerts send</c>: post a test alert to the webhook app as Alertmanager, Grafana or Azure Monitor would,
/// and print what the app did with it. Exit codes: 0 accepted, 1 refused (or unreachable), 2 usage.
/// </summary>
internal static partial class AlertsCommands
{
    public const string TokenVariable = "AUTOCAPTURE_ALERT_TOKEN";
    public const string PasswordVariable = "AUTOCAPTURE_ALERT_PASSWORD";
    public const string HmacSecretVariable = "AUTOCAPTURE_ALERT_HMAC_SECRET";
    public const int Usage = 2;

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelName();

    public static Command Create(Func<HttpClient>? http = null, TimeProvider? clock = null) =>
        new("alerts", "Send alerts to the webhook app.") { Send(http, clock ?? TimeProvider.System) };

    private static Command Send(Func<HttpClient>? http, TimeProvider clock)
    {
        // Read from the environment when run, not as a default: --help prints defaults, and a query string may hold a secret.
        var app = new Option<string?>("--app") { Description = $"The webhook app's base URL (default: ${CapturesCommands.UrlVariable}). A query string (an Azure Monitor ?token=…) is kept." };
        var source = new Option<AlertSourceKind>("--source") { Description = "Whose payload to send: alertmanager (webhook v4), grafana (v1) or azuremonitor (common alert schema).", DefaultValueFactory = _ => AlertSourceKind.Alertmanager };
        var alertname = new Option<string?>("--alertname") { Description = "The alert's name (its alertname label)." };
        var labels = new Option<string[]>("--label") { Description = "A label NAME=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };
        var annotations = new Option<string[]>("--annotation") { Description = "An annotation NAME=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };
        var resolved = new Option<bool>("--resolved") { Description = "Send the alert as resolved (resolved alerts never capture)." };
        var payload = new Option<string?>("--payload") { Description = "Send this payload file as it is instead (e.g. .autocapture/demo/alert.json)." };

        // No DefaultValueFactory on secrets: --help prints defaults, and these would be the secrets themselves.
        var token = new Option<string?>("--token") { Description = $"Bearer token: the source's AutoCapture:Sources:<source>:BearerToken (default: ${TokenVariable})." };
        var username = new Option<string?>("--username") { Description = "Basic auth user: the source's Username." };
        var password = new Option<string?>("--password") { Description = $"Basic auth password (default: ${PasswordVariable})." };
        var hmacSecret = new Option<string?>("--hmac-secret") { Description = $"Sign the body like Grafana with the source's HmacSecret (default: ${HmacSecretVariable})." };
        var hmacHeader = new Option<string>("--hmac-header") { Description = "The signature header.", DefaultValueFactory = _ => new SourceAuthOptions().HmacHeader };
        var hmacTimestampHeader = new Option<string?>("--hmac-timestamp-header") { Description = "Sign \"timestamp:body\" and send the timestamp in this header (the source's HmacTimestampHeader)." };

        var command = new Command("send", "Post a test alert as your alerting would and print, per alert, the capture started, the duplicate or why it was skipped.")
        {
            app, source, alertname, labels, annotations, resolved, payload, token, username, password, hmacSecret, hmacHeader, hmacTimestampHeader,
        };
        command.Action = new UsageExitAction(async (parse, cancellationToken) =>
        {
            var target = AlertSender.TargetUrl(parse.GetValue(app) ?? Environment.GetEnvironmentVariable(CapturesCommands.UrlVariable), parse.GetValue(source))
                ?? throw new CliException($"--app (or ${CapturesCommands.UrlVariable}) must be the webhook app's http(s) address, e.g. https://autocapture.example.com", Usage);
            var body = parse.GetValue(payload) is { } file
                ? ReadPayload(file, new Option[] { alertname, labels, annotations, resolved }.Any(o => parse.GetResult(o) is { Implicit: false }))
                : Alert(parse.GetValue(alertname), parse.GetValue(labels) ?? [], parse.GetValue(annotations) ?? [], parse.GetValue(resolved)).Payload(parse.GetValue(source), clock.GetUtcNow());
            var credentials = new AlertCredentials(
                parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable),
                parse.GetValue(username),
                parse.GetValue(password) ?? Environment.GetEnvironmentVariable(PasswordVariable),
                parse.GetValue(hmacSecret) ?? Environment.GetEnvironmentVariable(HmacSecretVariable),
                parse.GetValue(hmacHeader),
                parse.GetValue(hmacTimestampHeader));
            using var client = http?.Invoke() ?? new HttpClient();
            var answer = await AlertSender.SendAsync(client, target, body, credentials, clock, cancellationToken);
            foreach (var line in AlertSender.Describe(target, answer))
            {
                Console.WriteLine(line);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The alert the options describe; a wrong option is a <see cref="CliException"/> naming it.</summary>
    internal static TestAlert Alert(string? alertname, string[] labels, string[] annotations, bool resolved)
    {
        if (string.IsNullOrWhiteSpace(alertname))
        {
            throw new CliException("--alertname is required (or send a file with --payload)", Usage);
        }

        var labelMap = Pairs("--label", labels);
        if (labelMap.ContainsKey("alertname"))
        {
            throw new CliException("--label alertname=…: give the alert's name with --alertname", Usage);
        }

        return new TestAlert(alertname, labelMap, Pairs("--annotation", annotations), resolved);
    }

    /// <summary>NAME=VALUE arguments, the names checked as Prometheus checks label names.</summary>
    internal static Dictionary<string, string> Pairs(string option, IEnumerable<string> arguments)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new CliException($"{option} \"{argument}\": expected key=value", Usage);
            }

            var name = argument[..equals];
            if (!LabelName().IsMatch(name))
            {
                throw new CliException($"{option} \"{argument}\": \"{name}\" is not a valid name (letters, digits and _, not starting with a digit)", Usage);
            }

            if (!pairs.TryAdd(name, argument[(equals + 1)..]))
            {
                throw new CliException($"{option} \"{argument}\": {name} is given twice", Usage);
            }
        }

        return pairs;
    }

    private static byte[] ReadPayload(string file, bool describedToo)
    {
        if (describedToo)
        {
            throw new CliException("--payload sends the file as it is: leave out --alertname, --label, --annotation and --resolved", Usage);
        }

        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--payload {file}: {e.Message}", Usage);
        }
    }

    /// <summary>
    /// Runs the command with exit code 2 for every usage error, the parser's own (an unknown option, a --source that is
    /// none of the three) as well as the command's checks; the parser alone would exit 1, which here means "refused".
    /// </summary>
    private sealed class UsageExitAction(Func<ParseResult, CancellationToken, Task<int>> run) : AsynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            // Clearing parse errors lets this action run at all; it also drops the one about unknown options, so that one is made here.
            var errors = parseResult.Errors.Select(e => e.Message)
                .Concat(parseResult.UnmatchedTokens.Select(t => $"Unrecognized command or argument '{t}'."))
                .ToList();
            if (errors.Count > 0)
            {
                errors.ForEach(Console.Error.WriteLine);
                return Usage;
            }

            try
            {
                return await run(parseResult, cancellationToken);
            }
            catch (CliException e)
            {
                Console.Error.WriteLine(e.Message);
                return e.ExitCode;
            }
        }
    }
}
