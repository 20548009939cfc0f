using System.Globalization;
using System.Text.Json;
using AutoCapture.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AutoCapture.Benchmarks;

/// <summary>
/// The two servers the ack-latency benchmark compares: the real webhook app (auth, parse, route, dedup on the
/// folder store, rate limits, dispatch) and a bare ASP.NET endpoint that only parses the same payload and answers 202.
/// </summary>
internal static class AckServers
{
    public const string Token = "benchmark-token-0123456789";

    /// <summary>One rule every alert of <see cref="Payload"/> matches, each pod's process its own target; the collector is a closed port.</summary>
    public const string Rules = """
        rules:
          - name: bench
            match: ['alertname = "HighCPU"']
            target:
              collector: "http://127.0.0.1:9"
              host: "{{ labels.pod }}"
              process: { name: "{{ labels.pod }}" }
            captures: [stacks]
        """;

    public static async Task<int> RunAsync(string mode, int port, string root)
    {
        Directory.CreateDirectory(root);
        using var azurite = mode == "autocapture-azurite" ? await LocalAzurite.StartAsync() : null;
        var app = mode switch
        {
            "autocapture" or "autocapture-azurite" => AutoCapture(port, root, azurite),
            "bare" => Bare(port),
            _ => throw new ArgumentException($"unknown mode {mode}"),
        };
        await app.RunAsync();
        return 0;
    }

    private static WebApplication AutoCapture(int port, string root, LocalAzurite? azurite)
    {
        var rules = Path.Combine(root, "rules.yaml");
        File.WriteAllText(rules, Rules);
        var settings = WebhookSettings(rules, root);
        if (azurite is not null)
        {
            UseAzurite(settings, azurite, "ack");
        }

        return WebhookApp.Create(["--urls", $"http://127.0.0.1:{port}"], b => b.Configuration.AddInMemoryCollection(settings));
    }

    /// <summary>Points the settings' store at a container of the benchmark's own Azurite.</summary>
    public static void UseAzurite(Dictionary<string, string?> settings, LocalAzurite azurite, string container)
    {
        settings["AutoCapture:Store:Kind"] = "azureblob";
        settings["AutoCapture:Store:ConnectionString"] = azurite.ConnectionString;
        settings["AutoCapture:Store:Container"] = container;
    }

    /// <summary>The webhook app as both webhook benchmarks run it: folder store under <paramref name="root"/>, every log below Error off.</summary>
    public static Dictionary<string, string?> WebhookSettings(string rulesFile, string root) => new()
    {
        ["AutoCapture:RulesFile"] = rulesFile,
        ["AutoCapture:Store:Path"] = Path.Combine(root, "store"),
        ["AutoCapture:Sources:Alertmanager:BearerToken"] = Token,
        // Measured is the pipeline: the per-source throttle (500/s by default) would answer the excess 429 instead.
        ["AutoCapture:Sources:Alertmanager:MaxRequestsPerSecond"] = "0",
        ["AutoCapture:Collector:SigningKey"] = "benchmark-collector-key-0123456789",
        ["AutoCapture:Links:SigningKey"] = "benchmark-link-key-0123456789",
        ["AutoCapture:Collector:MaxAttempts"] = "1",
        ["Serilog:MinimumLevel:Default"] = "Error",
        ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Error",
    };

    private static WebApplication Bare(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/api/alerts/alertmanager", async (HttpRequest request) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body);
            var alerts = document.RootElement.GetProperty("alerts").GetArrayLength();
            return Results.Json(new { alerts }, statusCode: 202);
        });
        return app;
    }

    /// <summary>An Alertmanager v4 payload of <paramref name="count"/> firing alerts, shaped like a real group (~450 bytes each).</summary>
    public static int WritePayload(int count)
    {
        Console.Out.Write(Payload(count, fingerprintPrefix: string.Empty));
        return 0;
    }

    /// <summary>The payload as text; alerts with another <paramref name="fingerprintPrefix"/> are other alert instances of the same pods.</summary>
    public static string Payload(int count, string fingerprintPrefix)
    {
        var startsAt = new DateTimeOffset(2026, 11, 21, 3, 0, 0, TimeSpan.Zero);
        var alerts = Enumerable.Range(0, count).Select(i => new Dictionary<string, object>
        {
            ["status"] = "firing",
            ["labels"] = new Dictionary<string, string>
            {
                ["alertname"] = "HighCPU",
                ["instance"] = $"10.1.{i / 250}.{i % 250}:9100",
                ["job"] = "kubernetes-pods",
                ["namespace"] = "shop",
                ["pod"] = $"checkout-7f9c6d5b8-{i:x5}",
                ["service"] = "checkout",
                ["severity"] = "page",
            },
            ["annotations"] = new Dictionary<string, string>
            {
                ["summary"] = "checkout CPU above 90% for 5 minutes",
                ["description"] = $"Pod checkout-7f9c6d5b8-{i:x5} has used more than 90% of its CPU limit for 5 minutes.",
            },
            ["startsAt"] = startsAt.AddSeconds(i).ToString("O", CultureInfo.InvariantCulture),
            ["endsAt"] = "0001-01-01T00:00:00Z",
            ["generatorURL"] = "http://prometheus:9090/graph?g0.expr=rate%28container_cpu_usage_seconds_total%5B5m%5D%29+%3E+0.9",
            ["fingerprint"] = $"{fingerprintPrefix}{i:x16}",
        }).ToList();
        var payload = new Dictionary<string, object>
        {
            ["version"] = "4",
            ["groupKey"] = "{}/{severity=\"page\"}:{alertname=\"HighCPU\"}",
            ["truncatedAlerts"] = 0,
            ["status"] = "firing",
            ["receiver"] = "autocapture",
            ["groupLabels"] = new Dictionary<string, string> { ["alertname"] = "HighCPU" },
            ["commonLabels"] = new Dictionary<string, string> { ["alertname"] = "HighCPU", ["severity"] = "page", ["service"] = "checkout" },
            ["commonAnnotations"] = new Dictionary<string, string>(),
            ["externalURL"] = "http://alertmanager:9093",
            ["alerts"] = alerts,
        };
        return JsonSerializer.Serialize(payload);
    }
}
