using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Faults;
using AutoCapture.IntegrationTests.Faults.Support;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Monitoring;

/// <summary>
/// Scrapes <c>/metrics</c> of a real webhook app and a real collector (processes of their own, on Azurite, so the
/// store is measured too) after real deliveries, and checks every counter moved by exactly what the deliveries did.
/// Each body must also pass <c>promtool check metrics</c>, the linter Prometheus itself ships.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed partial class MetricsTests
{
    [Fact]
    public async Task A_delivery_a_repeat_and_two_refusals_move_exactly_their_counters_on_both_processes()
    {
        await using var world = await FaultWorld.CreateAsync("metrics", StoreKind.Azurite, FaultWorld.SnapshotCaptures);
        var webhook = world.Webhook();
        var collector = world.Collector();
        await collector.StartAsync();
        await webhook.StartAsync();
        var target = await world.TargetAsync("idle");

        var alert = await world.SendAsync(webhook, collector.Url, target);
        Assert.True(alert.Accepted, alert.Answer);
        var manifest = await world.WaitForAsync(alert.CaptureId!, m => m.Status.IsTerminal() && m.NotifiedAt is not null, TimeSpan.FromSeconds(90), "complete and told to chat");
        Assert.Equal(CaptureStatus.Complete, manifest.Status);
        var repeat = await world.ResendAsync(webhook, alert);
        Assert.Contains("\"duplicate\"", repeat.Answer, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(world, $"{webhook.Url}/api/alerts/no-such-source", world.BearerToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(world, $"{webhook.Url}/api/alerts/alertmanager", "wrong-token"));

        var app = Exposition.Parse(await ScrapeAsync(world, webhook.Url));
        Assert.Equal(2, app.Value("autocapture_deliveries_total", ("source", "alertmanager"), ("outcome", "accepted")));
        Assert.Equal(1, app.Value("autocapture_deliveries_total", ("source", "alertmanager"), ("outcome", "unauthorized")));
        // The route segment a sender typed never becomes a label value.
        Assert.Equal(1, app.Value("autocapture_deliveries_total", ("source", "unknown"), ("outcome", "rejected")));
        Assert.Equal(4, app.Sum("autocapture_deliveries_total"));
        Assert.Equal(1, app.Value("autocapture_alert_captures_total", ("decision", "started"), ("skip_cause", "")));
        Assert.Equal(1, app.Value("autocapture_alert_captures_total", ("decision", "duplicate"), ("skip_cause", "")));
        Assert.Equal(2, app.Sum("autocapture_alert_captures_total"));
        Assert.Equal(1, app.Value("autocapture_collector_requests_total", ("verdict", "accepted")));
        Assert.Equal(1, app.Sum("autocapture_collector_requests_total"));
        Assert.Equal(1, app.Value("autocapture_captures_finished_total", ("kind", "stacks"), ("state", "complete")));
        Assert.Equal(1, app.Sum("autocapture_captures_finished_total"));
        Assert.Equal(1, app.Value("autocapture_capture_duration_seconds_count", ("state", "complete")));
        Assert.Equal(1, app.Value("autocapture_chat_messages_total", ("message", "final"), ("result", "sent")));
        Assert.Equal(1, app.Sum("autocapture_chat_messages_total"));
        Assert.True(app.Sum("autocapture_store_operation_duration_seconds_count") > 0, "the webhook app's store round trips are not measured");
        Assert.False(app.Has("autocapture_collector_capture_requests_total"), "the webhook app shows the collector's metrics");

        // The collector lowers its in-flight gauge only after its completion call has been answered.
        var agent = await WaitForAsync(world, collector.Url, body => body.Value("autocapture_collector_captures_in_flight") == 0);
        Assert.Equal(1, agent.Value("autocapture_collector_capture_requests_total", ("result", "accepted")));
        Assert.Equal(1, agent.Sum("autocapture_collector_capture_requests_total"));
        Assert.Equal(1, agent.Value("autocapture_collector_kinds_total", ("kind", "stacks"), ("outcome", "succeeded")));
        Assert.Equal(1, agent.Sum("autocapture_collector_kinds_total"));
        Assert.Equal(1, agent.Value("autocapture_collector_kind_duration_seconds_count", ("kind", "stacks")));
        Assert.Equal(manifest.Artifacts.Count, agent.Value("autocapture_collector_upload_duration_seconds_count"));
        Assert.True(agent.Value("autocapture_store_operation_duration_seconds_count", ("operation", "write")) >= manifest.Artifacts.Count);
        Assert.False(agent.Has("autocapture_deliveries_total"), "the collector shows the webhook app's metrics");

        // The alert rules and the dashboard query only metrics the two processes really export.
        var exported = app.Families.Union(agent.Families).ToHashSet(StringComparer.Ordinal);
        foreach (var file in new[] { "monitoring-rules.yml", "monitoring-dashboard.json" })
        {
            var queried = MetricNames().Matches(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", file)))
                .Select(m => Regex.Replace(m.Value, "_(bucket|count|sum)$", "")).Distinct().ToList();
            Assert.NotEmpty(queried);
            Assert.All(queried, name => Assert.True(exported.Contains(name), $"docs/{file} queries {name}, which neither process exports"));
        }

        foreach (var (name, url) in new[] { ("webhook app", webhook.Url), ("collector", collector.Url) })
        {
            // promtool reads the exposition from stdin; it prints nothing for a clean one, a line per problem otherwise.
            var (exit, output) = await Promtool.RunAsync(await ScrapeAsync(world, url), "check", "metrics");
            Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics on the {name}'s /metrics: {output}");
        }

        // A real Prometheus scrapes both under the job names the rules expect, and sees the same numbers.
        using var prometheus = await LocalPrometheus.StartAsync(world.Root, ("autocapture-webhook", webhook.Port), ("autocapture-collector", collector.Port));
        Assert.Equal("1", await prometheus.WaitForAsync("up{job=\"autocapture-webhook\"}", "1"));
        Assert.Equal("1", await prometheus.WaitForAsync("up{job=\"autocapture-collector\"}", "1"));
        Assert.Equal("2", await prometheus.WaitForAsync("sum(autocapture_deliveries_total{job=\"autocapture-webhook\",outcome=\"accepted\"})", "2"));
        Assert.Equal("1", await prometheus.WaitForAsync("sum(autocapture_collector_kinds_total{job=\"autocapture-collector\",kind=\"stacks\",outcome=\"succeeded\"})", "1"));
    }

    [Fact]
    public async Task The_dashboard_queries_are_valid_PromQL()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "monitoring-dashboard.json")))!;
        var queries = dashboard["panels"]!.AsArray().SelectMany(panel => panel!["targets"]!.AsArray().Select(target => (string)target!["expr"]!)).ToList();
        Assert.NotEmpty(queries);

        // promtool parses PromQL in rules files: each query becomes a recording rule, Grafana's range variables a fixed range.
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        foreach (var (query, index) in queries.Select((q, i) => (q, i)))
        {
            var promql = query.Replace("$__rate_interval", "5m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal);
            rules.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query_{index}\n        expr: '{promql.Replace("'", "''", StringComparison.Ordinal)}'\n");
        }

        var file = Path.Combine(Path.GetTempPath(), $"autocapture-dashboard-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        try
        {
            var (exit, output) = await Promtool.RunAsync(null, "check", "rules", file);
            Assert.True(exit == 0, $"a dashboard query is not valid PromQL: {output}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_alert_rules_in_docs_are_valid_and_fire_on_what_they_describe()
    {
        var rules = Path.Combine(RepositoryPaths.Root, "docs", "monitoring-rules.yml");
        var (exit, output) = await Promtool.RunAsync(null, "check", "rules", rules);
        Assert.True(exit == 0, $"promtool check rules {rules}: {output}");

        // Series in, alerts out: the unit tests promtool runs against the rules file.
        var tests = Path.Combine(RepositoryPaths.Root, "docs", "monitoring-rules.test.yml");
        (exit, output) = await Promtool.RunAsync(null, "test", "rules", tests);
        Assert.True(exit == 0, $"promtool test rules {tests}: {output}");
    }

    private static async Task<HttpStatusCode> PostAsync(FaultWorld world, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(Alerts.Payload(Alerts.Firing(FaultWorld.AlertName)), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await world.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> ScrapeAsync(FaultWorld world, string url)
    {
        using var response = await world.Http.GetAsync(new Uri($"{url}/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<Exposition> WaitForAsync(FaultWorld world, string url, Func<Exposition, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var body = Exposition.Parse(await ScrapeAsync(world, url));
            if (condition(body) || DateTime.UtcNow > deadline)
            {
                return body;
            }

            await Task.Delay(100);
        }
    }

    [GeneratedRegex(@"\bautocapture_[a-z_]+")]
    private static partial Regex MetricNames();

    /// <summary>The samples of a text exposition (format 0.0.4): name, labels, value; and the metric families it declares.</summary>
    private sealed class Exposition
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

        public HashSet<string> Families { get; } = new(StringComparer.Ordinal);

        public static Exposition Parse(string text)
        {
            var exposition = new Exposition();
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    exposition.Families.Add(line.Split(' ')[2]);
                }

                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var brace = line.IndexOf('{', StringComparison.Ordinal);
                var space = line.LastIndexOf(' ');
                var name = brace >= 0 ? line[..brace] : line[..space];
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                if (brace >= 0)
                {
                    // AutoCapture's label values are lowercase names: no quotes, commas or escapes inside them.
                    foreach (var pair in line[(brace + 1)..line.LastIndexOf('}')].Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var equals = pair.IndexOf('=', StringComparison.Ordinal);
                        labels[pair[..equals]] = pair[(equals + 1)..].Trim('"');
                    }
                }

                exposition._samples.Add((name, labels, double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture)));
            }

            return exposition;
        }

        public bool Has(string name) => _samples.Any(s => s.Name == name);

        public double Sum(string name) => _samples.Where(s => s.Name == name).Sum(s => s.Value);

        /// <summary>The one sample with exactly these labels; 0 when the series does not exist (a counter never moved).</summary>
        public double Value(string name, params (string Name, string Value)[] labels) =>
            _samples.SingleOrDefault(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value)).Value;
    }
}

/// <summary>A Prometheus server (Debian's prometheus package) scraping given loopback ports every second.</summary>
internal sealed class LocalPrometheus : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly string _url;

    private LocalPrometheus(Process process, string url) => (_process, _url) = (process, url);

    public static async Task<LocalPrometheus> StartAsync(string root, params (string Job, int Port)[] targets)
    {
        var config = new StringBuilder("global:\n  scrape_interval: 1s\nscrape_configs:\n");
        foreach (var (job, port) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: {job}\n    static_configs:\n      - targets: [\"127.0.0.1:{port}\"]\n");
        }

        var file = Path.Combine(root, "prometheus.yml");
        await File.WriteAllTextAsync(file, config.ToString());
        var listen = $"127.0.0.1:{FreePorts.Next()}";
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"--config.file={file}", $"--storage.tsdb.path={Path.Combine(root, "prometheus-data")}", $"--web.listen-address={listen}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start: run tests/setup");
        // Its log is not read; drained so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LocalPrometheus(process, $"http://{listen}");
    }

    /// <summary>Queries until the single result has <paramref name="expected"/> as its value (or a minute passed); returns the last value.</summary>
    public async Task<string?> WaitForAsync(string query, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? value = null;
        while (DateTime.UtcNow < deadline && value != expected)
        {
            await Task.Delay(200);
            try
            {
                var answer = JsonNode.Parse(await Http.GetStringAsync(new Uri($"{_url}/api/v1/query?query={Uri.EscapeDataString(query)}")))!;
                var result = answer["data"]!["result"]!.AsArray();
                value = result.Count == 1 ? (string?)result[0]!["value"]![1] : null;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        return value;
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}

/// <summary>Prometheus's promtool (Debian's prometheus package; tests/setup installs it).</summary>
internal static class Promtool
{
    public static async Task<(int Exit, string Output)> RunAsync(string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var promtool = Start(start);
        var output = promtool.StandardOutput.ReadToEndAsync();
        var errors = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(input);
        promtool.StandardInput.Close();
        await promtool.WaitForExitAsync();
        return (promtool.ExitCode, (await output + await errors).Trim());
    }

    private static Process Start(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"promtool could not be started ({e.Message}): run tests/setup", e);
        }
    }
}
