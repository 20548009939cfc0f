using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Collector.Hosting;
using AutoCapture.Collector.Runs;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// A private world for one test: a store folder, fresh secrets, and the real webhook app and collector on
/// loopback ports, configured the way an operator would through AutoCapture__ settings.
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    public TestEnvironment()
    {
        Root = Path.Combine(Path.GetTempPath(), "autocapture-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string StorePath => Path.Combine(Root, "store");

    public string BearerToken { get; } = Secret();

    public string CollectorKey { get; } = Secret();

    public string LinkKey { get; } = Secret();

    public ManifestStore Manifests => new(new FolderStore(StorePath));

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A rules file whose one rule never matches, for tests about something other than routing.</summary>
    public const string RulesMatchingNothing = """
        rules:
          - name: never
            match: [ 'alertname = "never-fires"' ]
            target: { collector: "http://127.0.0.1:9", process: { name: app } }
            captures: [ stacks ]
        """;

    public static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Settings that make an app log everything it can (Verbose, every category) to <paramref name="file"/>.</summary>
    public static Dictionary<string, string?> VerboseLogTo(string file) => new()
    {
        ["Serilog:Using:0"] = "Serilog.Sinks.File",
        ["Serilog:WriteTo:0:Name"] = "File",
        ["Serilog:WriteTo:0:Args:path"] = file,
        ["Serilog:MinimumLevel:Default"] = "Verbose",
        ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
        ["Serilog:MinimumLevel:Override:System"] = "Verbose",
    };

    public Dictionary<string, string?> BaseSettings() => new()
    {
        ["AutoCapture:Store:Path"] = StorePath,
        ["AutoCapture:Sources:Alertmanager:BearerToken"] = BearerToken,
        ["AutoCapture:Collector:SigningKey"] = CollectorKey,
        ["AutoCapture:Links:SigningKey"] = LinkKey,
        ["AutoCapture:Collector:WorkDirectory"] = Path.Combine(Root, "work"),
        ["AutoCapture:Collector:RequestTimeout"] = "00:00:05",
        ["AutoCapture:Collector:MaxAttempts"] = "2",
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    public async Task<RunningApp> StartCollectorAsync(Dictionary<string, string?>? extra = null, Action<WebApplicationBuilder>? configure = null)
    {
        var settings = BaseSettings();
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var app = CollectorApp.Create(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        _apps.Add(app);
        return new RunningApp(app, app.Urls.First());
    }

    public async Task<RunningApp> StartWebhookAsync(string rulesYaml, Dictionary<string, string?>? extra = null, Action<WebApplicationBuilder>? configure = null)
    {
        var rules = Path.Combine(Root, $"rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, rulesYaml);
        var settings = BaseSettings();
        settings["AutoCapture:RulesFile"] = rules;
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var app = WebhookApp.Create(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        _apps.Add(app);
        return new RunningApp(app, app.Urls.First());
    }

    public async Task<HttpResponseMessage> PostAlertAsync(string webhookUrl, string json, string? bearer = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhookUrl}/api/alerts/alertmanager")
        {
            Content = new StringContent(json, Encoding.UTF8, contentType),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer ?? BearerToken);
        return await Http.SendAsync(request);
    }

    /// <summary>Waits until the capture's outcome is final and chat has been told (or failed to be).</summary>
    public async Task<CaptureManifest> WaitForOutcomeAsync(string captureId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        CaptureManifest? manifest = null;
        while (DateTime.UtcNow < deadline)
        {
            manifest = await Manifests.ReadAsync(captureId, CancellationToken.None);
            if (manifest is { } m && m.Status.IsTerminal() && (m.NotifiedAt is not null || m.NotifyError is not null))
            {
                return m;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"capture {captureId} did not finish within {timeout}; last status {manifest?.Status}");
    }

    public static async Task WaitForCollectorIdleAsync(RunningApp collector) =>
        await collector.App.Services.GetRequiredService<CaptureRunner>().WhenIdleAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Http.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a scratch folder under /tmp.
        }
    }
}

public sealed record RunningApp(WebApplication App, string Url);
