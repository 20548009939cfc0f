using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.Benchmarks;

/// <summary>
/// An alert storm against the real webhook app: a bad deploy fires the same alert on 300 pods; Alertmanager sends
/// the group in batches, repeats it, and an HA pair delivers everything twice. 5,000 deliveries at 32 concurrent
/// requests with dedup and every limit on. Reports ack latency and store operations per alert. Each pod's process is
/// its own target.
/// </summary>
internal static class StormDriver
{
    public static async Task<int> RunAsync(int deliveries, int concurrency, string root, string storeKind)
    {
        Directory.CreateDirectory(root);
        using var azurite = storeKind == "azurite" ? await LocalAzurite.StartAsync() : null;
        var rules = Path.Combine(root, "rules.yaml");
        await File.WriteAllTextAsync(rules, """
            rules:
              - name: bad-deploy
                match: ['alertname = "HighErrorRate"']
                target:
                  collector: "http://127.0.0.1:9"
                  host: "{{ labels.pod }}"
                  process: { name: "{{ labels.pod }}" }
                captures: [cpu, stacks]
              - name: warm-up
                match: ['alertname = "WarmUp"']
                target:
                  collector: "http://127.0.0.1:9"
                  host: "{{ labels.pod }}"
                  process: { name: "{{ labels.pod }}" }
                captures: [cpu, stacks]
            """);
        var settings = AckServers.WebhookSettings(rules, root);
        if (azurite is not null)
        {
            AckServers.UseAzurite(settings, azurite, "storm");
        }

        CountingStore? counting = null;
        await using var app = WebhookApp.Create(
            ["--urls", "http://127.0.0.1:0"],
            b => b.Configuration.AddInMemoryCollection(settings),
            services => services.AddSingleton<IArtifactStore>(sp =>
                counting = new CountingStore(azurite is null
                    ? new FolderStore(Path.Combine(root, "store"))
                    : ArtifactStores.Create(new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = azurite.ConnectionString, Container = "storm" }))));
        await app.StartAsync();
        var url = $"{app.Urls.First()}/api/alerts/alertmanager";

        using var http = new HttpClient();
        // A storm meets a running instance: JIT and first-use costs are paid by a smaller storm of another alert
        // (its own rule, so its own limits) and left out of the figures.
        await SendAsync(http, url, Deliveries(500, "WarmUp"), concurrency, new double[500], new System.Collections.Concurrent.ConcurrentDictionary<int, int>());
        var (readsBefore, writesBefore, listsBefore, deletesBefore) = (counting!.Reads, counting.Writes, counting.Lists, counting.Deletes);

        var bodies = Deliveries(deliveries, "HighErrorRate");
        var alertsDelivered = bodies.Sum(b => b.Alerts);
        var latencies = new double[bodies.Count];
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        await SendAsync(http, url, bodies, concurrency, latencies, statuses);
        var failures = statuses.Where(p => p.Key != 202).Sum(p => p.Value);
        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p / 100 * latencies.Length) - 1)];
        var (reads, writes, lists, deletes) = (counting.Reads - readsBefore, counting.Writes - writesBefore, counting.Lists - listsBefore, counting.Deletes - deletesBefore);
        var operations = reads + writes + lists + deletes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            store: {counting.Description}
            deliveries {bodies.Count} ({alertsDelivered} alerts, {bodies.Select(b => b.Body).Distinct().Count()} distinct bodies) at {concurrency} concurrent, non-202: {failures} ({string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))})
            ack latency ms: p50 {Percentile(50):F1}  p90 {Percentile(90):F1}  p99 {Percentile(99):F1}  max {latencies[^1]:F1}
            throughput: {bodies.Count / elapsed.TotalSeconds:F0} deliveries/s, {alertsDelivered / elapsed.TotalSeconds:F0} alerts/s
            store operations: {operations} ({reads} reads, {writes} writes, {lists} lists, {deletes} deletes) = {(double)operations / alertsDelivered:F3} per alert delivered, {(double)operations / 300:F1} per distinct alert instance
            """));
        await app.StopAsync();
        return failures == 0 ? 0 : 1;
    }

    private static async Task SendAsync(HttpClient http, string url, List<(string Body, int Alerts)> bodies, int concurrency, double[] latencies, System.Collections.Concurrent.ConcurrentDictionary<int, int> statuses) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, bodies.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, token) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(bodies[i].Body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AckServers.Token);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, token);
            await response.Content.ReadAsByteArrayAsync(token);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        });

    private static List<(string Body, int Alerts)> Deliveries(int count, string alertName)
    {
        var random = new Random(5000);
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture);
        var pods = Enumerable.Range(0, 300).Select(i => $"checkout-7f9c6d5b8-{i:x5}").ToArray();
        var result = new List<(string, int)>();
        while (result.Count < count)
        {
            var batch = pods.OrderBy(_ => random.Next()).Take(random.Next(1, 33)).ToList();
            var body = JsonSerializer.Serialize(new
            {
                version = "4",
                groupKey = $"{{}}:{{alertname=\"{alertName}\"}}",
                status = "firing",
                receiver = "autocapture",
                alerts = batch.Select(pod => new
                {
                    status = "firing",
                    labels = new Dictionary<string, string> { ["alertname"] = alertName, ["pod"] = pod, ["namespace"] = "shop", ["severity"] = "page" },
                    annotations = new Dictionary<string, string> { ["summary"] = "5xx above 5%" },
                    startsAt,
                    endsAt = "0001-01-01T00:00:00Z",
                    fingerprint = pod,
                }),
            });
            result.Add((body, batch.Count));
            if (random.Next(2) == 0 && result.Count < count)
            {
                result.Add((body, batch.Count));
            }
        }

        return result;
    }
}
