using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Faults.Support;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Docs;

/// <summary>
/// Runs the README's shell blocks as a new team would, top to bottom: the demo, installing the CLI, the production
/// quick start (secrets, rules file, webhook app, test alert, captures list), ending with the test alert's message
/// in a Slack stand-in. Convention (README.md, "Commands in this README are tested"): the line above each shell
/// block is <c>&lt;!-- runnable --&gt;</c> (optionally <c>: expect "TEXT"</c>), <c>&lt;!-- runnable: background
/// until "TEXT" --&gt;</c> for a server, or <c>&lt;!-- not runnable: REASON --&gt;</c>. Blocks run in one scratch
/// directory and share their exported variables; what only exists in production is swapped for a local stand-in
/// (see <see cref="Substitutions"/>). The demo burns CPU in a .NET target, so this runs alone with the other target tests.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed partial class ReadmeCommandsTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("autocapture-readme-").FullName;
    private readonly List<Process> _servers = [];

    private string EnvironmentFile => Path.Combine(_scratch, "env.sh");

    private string CliHome => Path.Combine(_scratch, "home");

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }

            server.Dispose();
        }

        Directory.Delete(_scratch, recursive: true);
    }

    private static IReadOnlyList<ShellBlock> ReadmeBlocks() =>
        MarkdownBlocks.ShellBlocks(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md")));

    [Fact]
    public void Every_shell_block_in_the_readme_is_marked_runnable_or_not_runnable()
    {
        var blocks = ReadmeBlocks();
        var unmarked = blocks.Where(b => b.Marking == BlockMarking.None).Select(b => $"README.md:{b.Line}").ToList();

        Assert.True(unmarked.Count == 0, $"shell blocks without a <!-- runnable … --> or <!-- not runnable: reason --> line above them: {string.Join(", ", unmarked)}");
        Assert.Contains(blocks, b => b.Marking == BlockMarking.Runnable);
        Assert.Contains(blocks, b => b.Marking == BlockMarking.Background);
    }

    [Fact]
    public void Markers_are_read_from_the_line_above_each_shell_block_and_an_unmarked_block_is_found_by_its_line()
    {
        const string markdown = """
            <!-- runnable: expect "\"started\":1" -->
            ```sh
            curl x
            ```

            <!-- runnable: background until "listening on" -->

            ```bash
            app --urls y
            ```
            <!-- not runnable: needs systemd -->
            ```sh
            systemctl start z
            ```
            ```yaml
            not: shell
            ```
            A line of text.
            ```sh
            forgotten
            ```
              <!-- runnable -->
              ```sh
              indented
              ```
            """;

        var blocks = MarkdownBlocks.ShellBlocks(markdown);

        Assert.Equal(
            [
                new ShellBlock(2, "curl x", BlockMarking.Runnable, "\"started\":1"),
                new ShellBlock(8, "app --urls y", BlockMarking.Background, "listening on"),
                new ShellBlock(12, "systemctl start z", BlockMarking.NotRunnable, "needs systemd"),
                new ShellBlock(19, "forgotten", BlockMarking.None, ""),
                new ShellBlock(23, "indented", BlockMarking.Runnable, ""),
            ],
            blocks);
    }

    [Fact]
    public async Task The_readme_commands_run_in_order_and_the_test_alert_reaches_slack()
    {
        await using var slack = await FakeSlack.StartAsync();
        var collectorPort = FreePorts.Next();
        var substitutions = Substitutions(webhookPort: FreePorts.Next(), collectorPort, slack.WebhookUrl);
        await File.WriteAllTextAsync(EnvironmentFile, "");

        var runnable = ReadmeBlocks().Where(b => b.Marking is BlockMarking.Runnable or BlockMarking.Background).ToList();
        foreach (var block in runnable)
        {
            var script = substitutions.Aggregate(block.Code, (code, swap) => swap.Pattern.Replace(code, swap.Replacement));
            if (block.Marking == BlockMarking.Background)
            {
                await StartServerAsync(block, script);
                continue;
            }

            var (exitCode, output) = await RunAsync(script);
            Assert.True(exitCode == 0, $"README.md:{block.Line} exited {exitCode}:\n{script}\n--- output ---\n{output}");
            Assert.True(output.Contains(block.Text, StringComparison.Ordinal), $"README.md:{block.Line} did not print \"{block.Text}\":\n{output}");
        }

        // The quick start's collector address answers nothing here, so the capture fails and says so in Slack:
        // the message the README's last step promises either way.
        var message = await WaitForSlackMessageAsync(slack, "HighCPU", TimeSpan.FromMinutes(2));
        Assert.Contains($"127.0.0.1:{collectorPort}", message, StringComparison.Ordinal);
        Assert.Contains("unreachable", message, StringComparison.Ordinal);
    }

    /// <summary>
    /// What a block may only do in production, swapped for this machine: the well-known paths under /etc, /opt and
    /// /var become folders in the scratch directory; the public address and the collector port become free loopback
    /// ports; the Slack URL is the stand-in's; repository paths are absolute, so blocks run in the scratch
    /// directory. The suite has built everything in Release (as tests/run does), so build steps reuse that build
    /// instead of building again (a plain <c>dotnet run</c> would build Debug).
    /// </summary>
    private List<(Regex Pattern, string Replacement)> Substitutions(int webhookPort, int collectorPort, string slackUrl) =>
    [
        (Literal("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"), slackUrl),
        (Literal("https://autocapture.example.com"), $"http://127.0.0.1:{webhookPort}"),
        (Literal("http://0.0.0.0:8080"), $"http://127.0.0.1:{webhookPort}"),
        (Literal("10.0.0.0/8:7080"), $"127.0.0.0/8:{collectorPort}"),
        (Literal(":7080"), $":{collectorPort}"),
        (Literal("10.0.0.7"), "127.0.0.1"),
        (new Regex(@"(?<=[\s=@])/(etc|opt|var/lib)/autocapture"), $"{_scratch}/$1/autocapture"),
        (new Regex(@"(?<=\s)(cli|functions|collector)/AutoCapture\."), $"{RepositoryPaths.Root}/$1/AutoCapture."),
        (new Regex(@"\bdotnet (publish|pack) "), "dotnet $1 --no-build "),
        (Literal("dotnet run "), "dotnet run -c Release --no-build "),
    ];

    private static Regex Literal(string text) => new(Regex.Escape(text));

    private ProcessStartInfo Bash(string script)
    {
        // Each block sources the variables the blocks before it exported and saves its own for the next one
        // (readonly shell variables cannot be set again, so they are left out).
        var wrapped = $"set -euo pipefail\nsource '{EnvironmentFile}'\n{script}\nexport -p | grep -Ev '^declare -[a-zA-Z]*r' > '{EnvironmentFile}'\n";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _scratch };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(wrapped);

        // `dotnet tool install --global` installs under DOTNET_CLI_HOME: this user's own tools stay untouched.
        start.Environment["DOTNET_CLI_HOME"] = CliHome;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["PATH"] = $"{Path.Combine(CliHome, ".dotnet", "tools")}:{Environment.GetEnvironmentVariable("PATH")}";
        return start;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string script)
    {
        using var process = Process.Start(Bash(script))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await output + await error);
    }

    private async Task StartServerAsync(ShellBlock block, string script)
    {
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = Bash(script), EnableRaisingEvents = true };
        void Read(object? sender, DataReceivedEventArgs e)
        {
            lock (output)
            {
                output.AppendLine(e.Data);
                if (e.Data?.Contains(block.Text, StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult();
                }
            }
        }

        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"README.md:{block.Line} exited before printing \"{block.Text}\""));
        process.Start();
        _servers.Add(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            lock (output)
            {
                Assert.Fail($"{e.Message}:\n{script}\n--- output ---\n{output}");
            }
        }
    }

    private static async Task<string> WaitForSlackMessageAsync(FakeSlack slack, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var message = slack.Accepted.Select(m => m.ToJsonString()).FirstOrDefault(m => m.Contains(text, StringComparison.Ordinal));
            if (message is not null)
            {
                return message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no Slack message mentioning {text} within {timeout}; {slack.Accepted.Count} accepted, refused: {string.Join("; ", slack.Refused)}");
    }
}
