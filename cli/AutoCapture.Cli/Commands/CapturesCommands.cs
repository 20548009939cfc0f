using AutoCapture.Core.Summaries;
using System.CommandLine;
using System.Globalization;
using AutoCapture.Cli.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using Spectre.Console;

namespace AutoCapture.Cli.Commands;

/// <summary>
/// <c>autocapture captures list|show|download|diff</c>: archived captures through the webhook app's read-only API, with a
/// read token (<c>--url</c>/<c>AUTOCAPTURE_URL</c>, <c>--token</c>/<c>AUTOCAPTURE_TOKEN</c>). Tables and progress bars
/// on a terminal; plain tab-separated lines when output is redirected.
/// </summary>
internal static class CapturesCommands
{
    public const string UrlVariable = "AUTOCAPTURE_URL";
    public const string TokenVariable = "AUTOCAPTURE_TOKEN";

    /// <summary>Exit code when an artifact did not match its manifest.</summary>
    public const int ChecksumMismatch = 3;

    private static readonly Option<string?> Url = new("--url")
    {
        Description = $"The webhook app's base URL (default: ${UrlVariable}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(UrlVariable),
        Recursive = true,
    };

    // No DefaultValueFactory: --help prints defaults, and this one would be the secret itself.
    private static readonly Option<string?> Token = new("--token")
    {
        Description = $"A read token, one of the server's AutoCapture:Api:ReadTokens (default: ${TokenVariable}).",
        Recursive = true,
    };

    public static Command Create(Func<HttpClient>? http = null)
    {
        var command = new Command("captures", "List, show, download and compare archived captures (through the webhook app's API).") { Url, Token };
        command.Subcommands.Add(List(http));
        command.Subcommands.Add(Show(http));
        command.Subcommands.Add(Download(http));
        command.Subcommands.Add(Diff(http));
        return command;
    }

    private static Command List(Func<HttpClient>? http)
    {
        var filters = new (string Name, string Description)[]
        {
            ("alert", "Alert name."), ("host", "Target host."), ("process", "Process name."), ("rule", "Rule name."),
            ("source", "alertmanager, grafana or azuremonitor."), ("status", "pending, dispatched, running, uploading, complete, failed or skipped."),
            ("since", "Created at or after: ISO 8601 time or a duration ago (7d, 36h)."), ("until", "Created at or before (same forms)."),
        };
        var options = filters.ToDictionary(f => f.Name, f => new Option<string?>($"--{f.Name}") { Description = f.Description });
        var labels = new Option<string[]>("--label") { Description = "An alert label NAME=VALUE (repeatable).", AllowMultipleArgumentsPerToken = false };
        var limit = new Option<int>("--limit") { Description = $"Captures per page (1–{CaptureSearch.MaxLimit}).", DefaultValueFactory = _ => CaptureSearch.DefaultLimit };
        var cursor = new Option<string?>("--cursor") { Description = "Continue from where the previous page stopped." };
        var all = new Option<bool>("--all") { Description = "Follow every page to the end." };
        var command = new Command("list", "Captures newest first, filtered like GET /api/captures.") { labels, limit, cursor, all };
        foreach (var option in options.Values)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(parse, http, async api =>
        {
            var query = options.Where(o => parse.GetValue(o.Value) is { Length: > 0 })
                .Select(o => new KeyValuePair<string, string>(o.Key, parse.GetValue(o.Value)!))
                .Concat((parse.GetValue(labels) ?? []).Select(l => new KeyValuePair<string, string>("label", l)))
                .Append(new("limit", parse.GetValue(limit).ToString(CultureInfo.InvariantCulture)))
                .ToList();
            var next = parse.GetValue(cursor);
            var rows = new List<CaptureListItem>();
            CaptureListPage page;
            do
            {
                page = await api.ListAsync(next is null ? query : [.. query, new("cursor", next)], cancellationToken);
                rows.AddRange(page.Captures);
                next = page.NextCursor;
            }
            while (parse.GetValue(all) && next is not null);

            PrintList(rows);
            if (next is not null)
            {
                Console.Error.WriteLine($"more captures: add --cursor {next}");
            }
            else if (page.SearchedSince is { } since)
            {
                Console.Error.WriteLine($"searched captures filed since {since:yyyy-MM-dd} (use --since to look further back)");
            }

            return 0;
        }));
        return command;
    }

    private static Command Show(Func<HttpClient>? http)
    {
        var id = new Argument<string>("ID") { Description = "The capture id (yyyyMMdd-…)." };
        var json = new Option<bool>("--json") { Description = "Print the manifest as JSON." };
        var command = new Command("show", "One capture: alert, target, outcome, summary highlights, artifacts.") { id, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, http, async api =>
        {
            var manifest = await api.GetAsync(CheckId(parse.GetValue(id)!), cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Encoding.UTF8.GetString(AutoCaptureJson.Serialize(manifest, indented: true)));
            }
            else
            {
                CaptureReport.Print(manifest);
            }

            return 0;
        }));
        return command;
    }

    private static Command Download(Func<HttpClient>? http)
    {
        var id = new Argument<string>("ID") { Description = "The capture id (yyyyMMdd-…)." };
        var output = new Option<string?>("--out") { Description = "The folder to write into (default: ./ID)." };
        var only = new Option<string[]>("--artifact") { Description = "Download only this artifact (repeatable)." };
        var command = new Command("download", "Download a capture's artifacts and manifest, checking each file's SHA-256 against the manifest.") { id, output, only };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, http, async api =>
        {
            var captureId = CheckId(parse.GetValue(id)!);
            var manifest = await api.GetAsync(captureId, cancellationToken);
            // The names come from the server: one that is not a plain file name would write outside --out.
            foreach (var artifact in manifest.Artifacts)
            {
                if (artifact is null || !ArtifactNames.IsValid(artifact.Name))
                {
                    throw new CliException($"capture {captureId} lists an artifact named '{artifact?.Name}', which is not a plain file name; nothing was written");
                }
            }

            var wanted = parse.GetValue(only) ?? [];
            var unknown = wanted.Where(w => manifest.Artifacts.All(a => a.Name != w)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliException($"capture {captureId} has no artifact {string.Join(", ", unknown)} (it has {string.Join(", ", manifest.Artifacts.Select(a => a.Name))})");
            }

            var artifacts = manifest.Artifacts.Where(a => wanted.Length == 0 || wanted.Contains(a.Name)).ToList();
            var folder = Path.GetFullPath(parse.GetValue(output) ?? captureId);
            try
            {
                Directory.CreateDirectory(folder);
                await File.WriteAllBytesAsync(Path.Combine(folder, "manifest.json"), AutoCaptureJson.Serialize(manifest, indented: true), cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // --out naming a file, or a folder the user may not write into.
                throw new CliException($"cannot write into {folder}: {e.Message}");
            }

            var outcomes = await DownloadAllAsync(new ArtifactDownloader(api), captureId, artifacts, folder, cancellationToken);
            foreach (var outcome in outcomes)
            {
                if (outcome.Verified)
                {
                    Console.WriteLine($"ok\t{outcome.Artifact.Name}\t{outcome.Artifact.Size}\tsha256 {outcome.Artifact.Sha256}\t{outcome.Path}");
                }
                else
                {
                    Console.Error.WriteLine($"FAILED\t{outcome.Artifact.Name}: {outcome.Problem}; the file was not kept");
                }
            }

            return outcomes.All(o => o.Verified) ? 0 : ChecksumMismatch;
        }));
        return command;
    }

    private static Command Diff(Func<HttpClient>? http)
    {
        var id = new Argument<string>("ID") { Description = "The capture id (yyyyMMdd-…)." };
        var baseline = new Argument<string?>("BASELINE_ID")
        {
            Description = "Compare with this complete capture instead of printing the diff stored with the capture.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("diff", "What changed against a baseline: the capture's own diff, or a comparison with BASELINE_ID made now.") { id, baseline };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, http, async api =>
        {
            var captureId = CheckId(parse.GetValue(id)!);
            if (parse.GetValue(baseline) is { } baselineId)
            {
                var compared = await api.DiffAsync(captureId, CheckId(baselineId), cancellationToken);
                DiffReport.Print(captureId, compared, []);
                return 0;
            }

            var manifest = await api.GetAsync(captureId, cancellationToken);
            if (manifest.Diff is not { } diff)
            {
                throw new CliException(manifest.Baseline is not null
                    ? $"capture {captureId} is a baseline itself; name a capture to compare: autocapture captures diff OTHER_ID {captureId}"
                    : $"capture {captureId} has no diff (its rule has no baseline, or none was ready); compare with a capture you choose: autocapture captures diff {captureId} BASELINE_ID");
            }

            DiffReport.Print(captureId, diff, [.. manifest.Artifacts.Where(a => diff.Artifacts.Contains(a.Name))]);
            return 0;
        }));
        return command;
    }

    private static async Task<List<DownloadOutcome>> DownloadAllAsync(ArtifactDownloader downloader, string captureId, List<ArtifactInfo> artifacts, string folder, CancellationToken cancellationToken)
    {
        var outcomes = new List<DownloadOutcome>();
        if (Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            foreach (var artifact in artifacts)
            {
                outcomes.Add(await downloader.DownloadAsync(captureId, artifact, folder, _ => { }, cancellationToken));
            }

            return outcomes;
        }

        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                foreach (var artifact in artifacts)
                {
                    var task = context.AddTask(Markup.Escape(artifact.Name), maxValue: Math.Max(1, artifact.Size));
                    outcomes.Add(await downloader.DownloadAsync(captureId, artifact, folder, written => task.Value = written, cancellationToken));
                    task.StopTask();
                }
            });
        return outcomes;
    }

    private static void PrintList(List<CaptureListItem> rows)
    {
        string[] Cells(CaptureListItem c) =>
        [
            c.Id, c.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture), c.Status.ToString().ToLowerInvariant(),
            c.Alert, c.Host, c.Process, string.Join(",", c.Kinds), c.Bytes > 0 ? Units.Bytes(c.Bytes) : "-", c.Reason ?? string.Empty,
        ];
        string[] headers = ["id", "created", "status", "alert", "host", "process", "kinds", "size", "reason"];
        if (Console.IsOutputRedirected)
        {
            Console.WriteLine(string.Join('\t', headers));
            foreach (var row in rows)
            {
                Console.WriteLine(string.Join('\t', Cells(row).Select(c => c.Replace('\t', ' ').Replace('\n', ' '))));
            }

            return;
        }

        // Ids and times are what users copy: they never wrap, whatever the terminal's width.
        var table = new Table().AddColumns([.. headers.Select(h => h is "id" or "created" ? new TableColumn(h).NoWrap() : new TableColumn(h))]);
        foreach (var row in rows)
        {
            table.AddRow(Cells(row).Select(Markup.Escape).ToArray());
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Words.Count(rows.Count, "capture"));
    }

    private static string CheckId(string id) =>
        CaptureIds.IsValid(id) ? id : throw new CliException($"'{id}' is not a capture id (yyyyMMdd- and 16 hex digits)");

    private static async Task<int> RunAsync(ParseResult parse, Func<HttpClient>? http, Func<CaptureApiClient, Task<int>> run)
    {
        var url = parse.GetValue(Url);
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"--url (or ${UrlVariable}) must be the webhook app's http(s) address, e.g. https://autocapture.example.com");
            return 1;
        }

        if (string.IsNullOrEmpty(token))
        {
            Console.Error.WriteLine($"--token (or ${TokenVariable}) is required: one of the server's AutoCapture:Api:ReadTokens");
            return 1;
        }

        using var client = http?.Invoke() ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            return await run(new CaptureApiClient(client, baseUrl, token));
        }
        catch (CliException e)
        {
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
    }
}
