using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using AutoCapture.Cli.Alerts;
using AutoCapture.Cli.Captures;
using AutoCapture.Collector.Hosting;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace AutoCapture.Cli.Demo;

/// <summary>
/// The whole path on one machine: a sample .NET target, a collector, the webhook app, a sample Alertmanager
/// alert, the capture, the chat message. Succeeds only if the capture completed and its summary names the
/// target's hot method.
/// </summary>
internal sealed class DemoCommand(int cpuSeconds, bool verbose, string directory)
{
    private const string AlertName = "CheckoutHighCpu";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(directory);
        if (Directory.Exists(root))
        {
            // Each run starts clean: cooldowns left by the last run would otherwise skip this one.
            Directory.Delete(root, recursive: true);
        }

        Directory.CreateDirectory(root);
        var storePath = Path.Combine(root, "store");
        var bearerToken = NewSecret();
        var settings = new Dictionary<string, string?>
        {
            ["AutoCapture:Store:Path"] = storePath,
            ["AutoCapture:Sources:Alertmanager:BearerToken"] = bearerToken,
            ["AutoCapture:Collector:SigningKey"] = NewSecret(),
            ["AutoCapture:Links:SigningKey"] = NewSecret(),
            ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "demo-target",
            ["AutoCapture:Collector:WorkDirectory"] = Path.Combine(root, "work"),
            ["Serilog:MinimumLevel:Default"] = verbose ? "Information" : "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = verbose ? "Information" : "Warning",
        };

        AnsiConsole.MarkupLine("[bold]AutoCapture demo[/]: alert → rule → collector → capture → store → chat");
        using var target = await StartTargetAsync(cancellationToken);
        AnsiConsole.MarkupLine($"[green]✓[/] sample target running: pid {target.Pid} (hot method [bold]{DemoTarget.HotMethodName}[/])");

        await using var collector = CollectorApp.Create(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(settings));
        await collector.StartAsync(cancellationToken);
        var collectorUrl = collector.Urls.First();
        AnsiConsole.MarkupLine($"[green]✓[/] collector listening on {collectorUrl}");

        var rulesFile = Path.Combine(root, "rules.yaml");
        await File.WriteAllTextAsync(rulesFile, RulesYaml(collectorUrl), cancellationToken);
        settings["AutoCapture:RulesFile"] = rulesFile;
        await using var webhook = WebhookApp.Create(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(settings));
        await webhook.StartAsync(cancellationToken);
        var webhookUrl = webhook.Urls.First();
        AnsiConsole.MarkupLine($"[green]✓[/] webhook app listening on {webhookUrl}, rules in {rulesFile}");

        var alertFile = Path.Combine(root, "alert.json");
        await File.WriteAllBytesAsync(alertFile, SampleAlert(), cancellationToken);
        var captureId = await PostAlertAsync(webhookUrl, bearerToken, alertFile, cancellationToken);
        if (captureId is null)
        {
            return 1;
        }

        var manifests = new ManifestStore(new FolderStore(storePath));
        var manifest = await WaitForOutcomeAsync(manifests, captureId, TimeSpan.FromSeconds(cpuSeconds + 90), cancellationToken);
        await webhook.StopAsync(CancellationToken.None);
        await collector.StopAsync(CancellationToken.None);
        return Report(manifest, storePath);
    }

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private string RulesYaml(string collectorUrl) => $$$"""
        # Written by `autocapture demo`. See docs/rules-file.md.
        rules:
          - name: checkout-high-cpu
            match:
              - alertname = "{{{AlertName}}}"
              - severity =~ "page|critical"
            target:
              collector: "{{{collectorUrl}}}"
              host: "{{ labels.instance | host }}"
              process:
                commandLine: "{{ labels.process }}"
            captures:
              - kind: cpu
                duration: {{{cpuSeconds}}}s
              - kind: stacks
        """;

    private static byte[] SampleAlert() => new TestAlert(
        AlertName,
        new Dictionary<string, string> { ["severity"] = "page", ["instance"] = "localhost:8080", ["job"] = "checkout", ["process"] = "demo-target" },
        new Dictionary<string, string> { ["summary"] = "checkout is using more than 90% CPU" },
        Resolved: false).Payload(AlertSourceKind.Alertmanager, DateTimeOffset.UtcNow);

    private static async Task<TargetProcess> StartTargetAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Started as `dotnet autocapture.dll`: start the target the same way.
            start.FileName = self;
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        else
        {
            start.FileName = self;
        }

        start.ArgumentList.Add("demo-target");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the sample target");
        var line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        if (line is null || !line.StartsWith("ready", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"the sample target did not start (said: {line ?? "nothing"})");
        }

        return new TargetProcess(process);
    }

    private static async Task<string?> PostAlertAsync(string webhookUrl, string bearerToken, string alertFile, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var target = AlertSender.TargetUrl(webhookUrl, AlertSourceKind.Alertmanager)!;
        WebhookAnswer answer;
        try
        {
            answer = await AlertSender.SendAsync(http, target, await File.ReadAllBytesAsync(alertFile, cancellationToken), new AlertCredentials(Token: bearerToken), TimeProvider.System, cancellationToken);
        }
        catch (CliException e)
        {
            AnsiConsole.MarkupLine($"[red]✗ {Markup.Escape(e.Message)}[/]");
            return null;
        }

        AnsiConsole.MarkupLine($"[green]✓[/] posted the sample Alertmanager alert ({Markup.Escape(alertFile)})");
        foreach (var line in AlertSender.Describe(target, answer))
        {
            Console.WriteLine(line);
        }

        var started = answer.Alerts.SelectMany(a => a.Captures).FirstOrDefault(c => c.Result == "started");
        if (started is null)
        {
            AnsiConsole.MarkupLine("[red]✗ no capture started[/]");
        }

        return started?.CaptureId;
    }

    private static async Task<CaptureManifest?> WaitForOutcomeAsync(ManifestStore manifests, string captureId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        CaptureManifest? manifest = null;
        await AnsiConsole.Status().StartAsync($"capturing ({captureId})…", async context =>
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                manifest = await manifests.ReadAsync(captureId, cancellationToken);
                context.Status($"capture {captureId}: {manifest?.Status.ToString().ToLowerInvariant() ?? "?"}");
                // Done when the outcome is final and the chat message has gone out (or failed to).
                if (manifest is { } m && m.Status.IsTerminal() && (m.NotifiedAt is not null || m.NotifyError is not null))
                {
                    return;
                }

                await Task.Delay(250, cancellationToken);
            }
        });
        return manifest;
    }

    private static int Report(CaptureManifest? manifest, string storePath)
    {
        if (manifest is null || !manifest.Status.IsTerminal())
        {
            AnsiConsole.MarkupLine($"[red]✗ the capture did not finish in time (status {manifest?.Status.ToString() ?? "unknown"})[/]");
            return 1;
        }

        var folder = Path.Combine(storePath, CaptureIds.Prefix(manifest.Id));
        AnsiConsole.MarkupLine($"Artifacts in [bold]{folder}[/]:");
        foreach (var artifact in manifest.Artifacts)
        {
            AnsiConsole.MarkupLine($"  {artifact.Name,-24} {artifact.Size,12:N0} bytes  sha256 {artifact.Sha256[..16]}…");
        }

        var namesHotMethod = manifest.Summary?.Cpu is { } cpu
            && cpu.TopExclusive.Concat(cpu.TopInclusive).Take(30).Any(f => f.Frame.Contains(DemoTarget.HotMethodName, StringComparison.Ordinal));
        if (manifest.Status == CaptureStatus.Complete && namesHotMethod)
        {
            AnsiConsole.MarkupLine($"[green]✓ capture {manifest.Id} complete; its CPU summary names {DemoTarget.HotMethodName}[/]");
            AnsiConsole.MarkupLine("  open cpu.speedscope.json at https://www.speedscope.app to see the flame graph");
            return 0;
        }

        AnsiConsole.MarkupLine($"[red]✗ capture {manifest.Id} {manifest.Status.ToString().ToLowerInvariant()}: {Markup.Escape(manifest.Error ?? "the CPU summary does not name " + DemoTarget.HotMethodName)}[/]");
        return 1;
    }

    private sealed class TargetProcess(Process process) : IDisposable
    {
        public int Pid => process.Id;

        public void Dispose()
        {
            try
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(5000))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }
    }
}
