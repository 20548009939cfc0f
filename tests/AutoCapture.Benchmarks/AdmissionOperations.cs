using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.Benchmarks;

/// <summary>
/// Store operations one delivery costs, counted, for 100-alert Alertmanager deliveries under one rule with the default
/// limits (storm 3 targets per group, budget 5 per hour, cooldown 10 min): the first fresh delivery of a group, a
/// second one with 100 other fresh alerts of the same pods, and the first one repeated.
/// </summary>
internal static class AdmissionOperations
{
    public static async Task<int> RunAsync(string root, int alerts)
    {
        Directory.CreateDirectory(root);
        var rules = Path.Combine(root, "rules.yaml");
        await File.WriteAllTextAsync(rules, AckServers.Rules);
        CountingStore? counting = null;
        await using var app = WebhookApp.Create(
            ["--urls", "http://127.0.0.1:0"],
            b => b.Configuration.AddInMemoryCollection(AckServers.WebhookSettings(rules, root)),
            services => services.AddSingleton<IArtifactStore>(_ => counting = new CountingStore(new FolderStore(Path.Combine(root, "store")))));
        await app.StartAsync();
        using var http = new HttpClient();
        var url = $"{app.Urls.First()}/api/alerts/alertmanager";

        var first = AckServers.Payload(alerts, fingerprintPrefix: "a");
        foreach (var (name, body) in new[] { ("first fresh delivery", first), ("100 other fresh alerts, same pods", AckServers.Payload(alerts, fingerprintPrefix: "b")), ("first delivery repeated", first) })
        {
            var before = (counting!.Reads, counting.Writes, counting.Lists, counting.Deletes);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AckServers.Token);
            using var response = await http.SendAsync(request);
            var answer = await response.Content.ReadAsStringAsync();
            var started = answer.Split("\"result\":\"started\"").Length - 1;
            var (reads, writes, lists, deletes) = (counting.Reads - before.Reads, counting.Writes - before.Writes, counting.Lists - before.Lists, counting.Deletes - before.Deletes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {(int)response.StatusCode}, {alerts} alerts, {started} started; store operations {reads + writes + lists + deletes} ({reads} reads, {writes} writes, {lists} lists, {deletes} deletes)"));
        }

        // What a fresh delivery costs in CPU and allocation once the group's limits are full (every alert sampled
        // out): process-wide, so the client's side is in it too, but unlike latency it hardly depends on what else runs.
        const int Rounds = 200;
        var payloads = Enumerable.Range(0, Rounds).Select(i => AckServers.Payload(alerts, fingerprintPrefix: $"c{i}x")).ToList();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var (gen0, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        foreach (var body in payloads)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AckServers.Token);
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsStringAsync();
        }

        var cpuEach = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Rounds;
        var allocatedEach = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / Rounds;
        var pausedEach = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds / Rounds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Rounds} more fresh deliveries one after another: {cpuEach:0.00} ms CPU and {allocatedEach:0} KiB allocated per delivery (client included)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"garbage collections: {GC.CollectionCount(0) - gen0} (of which {GC.CollectionCount(2) - gen2} full), {pausedEach:0.00} ms paused per delivery"));

        await app.StopAsync();
        return 0;
    }
}
